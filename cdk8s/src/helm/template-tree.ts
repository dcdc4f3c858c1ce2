import type { Seg } from './diff.js';
import type { ContextFinding } from './discover.js';
import { ChartGenerationError } from './errors.js';
import { type Json, type JsonMap, RANDOM_PREFIX, type Snapshot, isCreateOnlySecret } from './snapshot.js';
import type { Site } from './sites.js';
import { type Cond, type Part, type SiteMap, type TEntry, type TNode, type TObject, and, not } from './template-model.js';

/** Files of the chart (files/...) that manifests read with .Files.Get, by path. */
export type ChartFiles = Map<string, string>;

/**
 * The templates of a snapshot's objects: each scalar with sites becomes parts, random Secret values
 * become values drawn at install, and multi-line ConfigMap data without sites moves to files/.
 */
export function buildObjects(snapshot: Snapshot, sites: SiteMap, files: ChartFiles): TObject[] {
  return [...snapshot.values()].map((o) => {
    const node = toNode(o.path, o.manifest, [], sites) as Extract<TNode, { kind: 'map' }>;
    if (o.manifest.kind === 'ConfigMap') moveDataToFiles(node, o.manifest, files);
    if (!isCreateOnlySecret(o.manifest)) return { chart: o.chart, path: o.path, node };
    renameEntry(node, 'stringData', 'data');
    return { chart: o.chart, path: o.path, node, keepsValuesOf: nodeAt(node, ['metadata', 'name']) };
  });
}

function toNode(object: string, value: Json, at: Seg[], sites: SiteMap): TNode {
  if (Array.isArray(value)) return { kind: 'list', items: value.map((v, i) => ({ node: toNode(object, v, [...at, i], sites), baseIndex: i })) };
  if (value !== null && typeof value === 'object') {
    return { kind: 'map', entries: Object.entries(value).map(([key, v]): TEntry => ({ key, node: toNode(object, v, [...at, key], sites), fromBase: true })) };
  }
  if (typeof value === 'string' && value.startsWith(RANDOM_PREFIX)) return { kind: 'random', length: Number(value.slice(RANDOM_PREFIX.length)) };
  const here = sites.get(object, at);
  if (here.length === 0) return { kind: 'scalar', value };
  try {
    return { kind: 'scalar', value, parts: partsOf(String(value), here) };
  } catch (e) {
    throw new ChartGenerationError('not_templatable', `${object}/${at.join('/')}: ${(e as Error).message}`);
  }
}

/** Splits `text` into literal text and the parts its sites stand for. */
export function partsOf(text: string, sites: readonly Site[]): Part[] {
  const lists = sites.filter((s) => s.kind === 'list');
  if (lists.length > 1) throw new Error(`two lists in one field (${lists.map((l) => l.leaf).join(', ')})`);
  const list = lists[0];
  if (list?.kind === 'list') {
    const { start, end } = list.item;
    const inItem = sites.filter((s) => s.kind === 'value' && s.start >= start && s.end <= end);
    const crossing = sites.filter((s) => s.kind === 'value' && s.start < end && s.end > start && !(s.start >= start && s.end <= end));
    if (crossing.length > 0) throw new Error(`a value crosses the items of the list of ${list.leaf}`);
    const ranges = [...list.index.map(([a, b]) => ({ start: a, end: b, part: { kind: 'index' } as Part })), ...inItem.map((s) => ({ start: s.start, end: s.end, part: valuePart(s) }))];
    return [{ kind: 'list', leaf: list.leaf, separator: list.separator, item: split(text.slice(start, end), ranges.map((r) => ({ ...r, start: r.start - start, end: r.end - start }))) }];
  }
  return split(
    text,
    sites.map((s) => ({ start: s.start, end: s.end, part: valuePart(s) })),
  );
}

function valuePart(site: Site): Part {
  if (site.kind !== 'value') return { kind: 'value', leaf: site.leaf };
  return { kind: 'value', leaf: site.leaf, ...(site.add !== undefined ? { add: site.add } : {}), ...(site.mul !== undefined ? { mul: site.mul } : {}) };
}

function split(text: string, ranges: Array<{ start: number; end: number; part: Part }>): Part[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const parts: Part[] = [];
  let from = 0;
  for (const r of sorted) {
    if (r.start < from) throw new Error(`two values overlap at ${JSON.stringify(text.slice(r.start, r.end))}`);
    if (r.start > from) parts.push({ kind: 'text', text: text.slice(from, r.start) });
    parts.push(r.part);
    from = r.end;
  }
  if (from < text.length) parts.push({ kind: 'text', text: text.slice(from) });
  return parts;
}

function entryOf(node: TNode, key: string): TEntry | undefined {
  return node.kind === 'map' ? node.entries.find((e) => e.fromBase && e.key === key) : undefined;
}

function renameEntry(node: Extract<TNode, { kind: 'map' }>, from: string, to: string): void {
  const i = node.entries.findIndex((e) => e.key === from);
  if (i >= 0) node.entries[i] = { ...node.entries[i]!, key: to };
}

/** Multi-line ConfigMap values without sites (scripts, dashboards) go to files/<ConfigMap>/<key>. */
function moveDataToFiles(node: Extract<TNode, { kind: 'map' }>, manifest: JsonMap, files: ChartFiles): void {
  const data = entryOf(node, 'data')?.node;
  const name = (manifest.metadata as JsonMap).name as string;
  if (data?.kind !== 'map') return;
  for (const entry of data.entries) {
    if (entry.node.kind !== 'scalar' || entry.node.parts || typeof entry.node.value !== 'string' || !entry.node.value.includes('\n')) continue;
    const path = `files/${name}/${entry.key}`;
    files.set(path, entry.node.value);
    entry.node = { kind: 'file', path };
  }
}

/** The node at a base pointer: map keys and base list indices. */
function nodeAt(root: TNode, at: readonly Seg[]): TNode {
  let node = root;
  for (const seg of at) {
    const next = typeof seg === 'number' ? (node.kind === 'list' ? node.items.find((i) => i.baseIndex === seg)?.node : undefined) : entryOf(node, seg)?.node;
    if (!next) throw new ChartGenerationError('not_templatable', `no ${seg} at /${at.join('/')}`);
    node = next;
  }
  return node;
}

/** The node at a pointer of the context's own synthesis. */
function contextNode(objects: ReadonlyMap<string, TObject>, object: string, at: readonly Seg[]): TNode {
  const o = objects.get(object);
  if (!o) throw new ChartGenerationError('not_templatable', `the context has no ${object}`);
  return nodeAt(o.node, at);
}

/**
 * Applies one context to the templates: what it adds is added under its condition, what it removes
 * is kept under the negation, and scalars it changes otherwise become a switch.
 */
export function graft(objects: TObject[], context: ContextFinding, contextObjects: readonly TObject[]): void {
  const byPath = new Map(objects.map((o) => [o.path, o]));
  const own = new Map(contextObjects.map((o) => [o.path, o]));
  const when = context.cond;
  const unless: Cond = not(when);
  for (const change of context.changes) {
    const object = byPath.get(change.object);
    switch (change.kind) {
      case 'object-added':
        objects.push({ ...own.get(change.object)!, when });
        break;
      case 'object-removed':
        object!.when = and(object!.when, unless);
        break;
      case 'entry-added': {
        const map = nodeAt(object!.node, change.at);
        if (map.kind !== 'map') throw new ChartGenerationError('not_templatable', `${change.object}/${change.at.join('/')} is not a map`);
        map.entries.push({ key: change.key, node: contextNode(own, change.object, change.probeAt), when, fromBase: false });
        break;
      }
      case 'entry-removed': {
        const entry = entryOf(nodeAt(object!.node, change.at), change.key)!;
        entry.when = and(entry.when, unless);
        break;
      }
      case 'item-added': {
        const list = nodeAt(object!.node, change.at);
        if (list.kind !== 'list') throw new ChartGenerationError('not_templatable', `${change.object}/${change.at.join('/')} is not a list`);
        const after = change.after < 0 ? -1 : list.items.findIndex((i) => i.baseIndex === change.after);
        let at = after + 1;
        while (at < list.items.length && list.items[at]!.baseIndex === undefined) at++;
        list.items.splice(at, 0, { node: contextNode(own, change.object, change.probeAt), when });
        break;
      }
      case 'item-removed': {
        const list = nodeAt(object!.node, change.at);
        const item = list.kind === 'list' ? list.items.find((i) => i.baseIndex === change.index) : undefined;
        item!.when = and(item!.when, unless);
        break;
      }
      case 'scalar':
      case 'replaced':
        replaceUnder(object!, change.at, contextNode(own, change.object, change.probeAt), when);
        break;
    }
  }
}

/** Puts `node` in place of the value at `at` when `when` holds. */
function replaceUnder(object: TObject, at: readonly Seg[], node: TNode, when: Cond): void {
  if (at.length === 0) throw new ChartGenerationError('not_templatable', `${object.path}: a context replaces the whole object`);
  const parent = nodeAt(object.node, at.slice(0, -1));
  const last = at[at.length - 1]!;
  const current = nodeAt(object.node, at);
  if (current.kind === 'scalar' || current.kind === 'switch') {
    const replacement: TNode = current.kind === 'switch' ? { ...current, cases: [...current.cases, { when, node }] } : { kind: 'switch', cases: [{ when, node }], otherwise: current };
    if (node.kind === 'scalar') {
      if (parent.kind === 'map') entryOf(parent, last as string)!.node = replacement;
      else if (parent.kind === 'list') parent.items.find((i) => i.baseIndex === last)!.node = replacement;
      return;
    }
  }
  if (parent.kind === 'map') {
    const entry = entryOf(parent, last as string)!;
    entry.when = and(entry.when, not(when));
    parent.entries.push({ key: entry.key, node, when, fromBase: false });
  } else if (parent.kind === 'list') {
    const i = parent.items.findIndex((item) => item.baseIndex === last);
    parent.items[i]!.when = and(parent.items[i]!.when, not(when));
    parent.items.splice(i + 1, 0, { node, when });
  }
}
