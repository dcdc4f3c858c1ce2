import { isDeepStrictEqual } from 'node:util';
import { type Change, type Seg, diffSnapshots, isStructural } from './diff.js';
import { ChartGenerationError } from './errors.js';
import { type Explanation, type Site, explainScalar, textOf } from './sites.js';
import { type ChartSource, type Json, type JsonMap, type Scalar, type Snapshot, buildApp, snapshotOf, withValues } from './snapshot.js';
import { type Cond, SiteMap, not } from './template-model.js';
import { type ValueLeaf, type ValueNode, type ValueObject, documentedDefault, groupOf, leavesOf, optionalAncestors } from './values-model.js';

/** What probing found out about one value. */
export interface LeafFinding {
  readonly leaf: ValueLeaf;
  readonly key: string;
  /** The construct's default, read off the synthesis; undefined when the value is unset by default. */
  default: Scalar | undefined;
  /** Whether any probe changed anything. */
  effect: boolean;
  /** For a value unset by default: one the constructs accepted, to give it when a probe needs it set. */
  example?: Scalar;
}

/** A value (a boolean, an enum member, or any value of an optional one) that adds, removes or reshapes objects. */
export interface ContextFinding {
  readonly owner: string;
  readonly cond: Cond;
  readonly props: JsonMap;
  readonly snapshot: Snapshot;
  /** What the base needs to become this context: structural changes and scalars no value explains. */
  readonly changes: readonly Change[];
  /** The sites inside what this context adds. */
  readonly sites: SiteMap;
}

export interface Discovery {
  readonly model: ValueObject;
  readonly leaves: ReadonlyMap<string, LeafFinding>;
  readonly base: Snapshot;
  readonly sites: SiteMap;
  readonly contexts: readonly ContextFinding[];
}

export const keyOf = (leaf: ValueLeaf): string => leaf.path.join('.');

/** The props of the base synthesis: every default. */
const TOP: JsonMap = Object.freeze({}) as JsonMap;

/** Numbers tried for a group of values set together, each one distinct: base + 2i. */
const GROUP_BASES = [4001, 1001, 201, 51, 11];
/** The same inside a context, whose own values came from GROUP_BASES. */
const CONTEXT_GROUP_BASES = [8001, 2001, 301, 71, 21];
/** Strings tried for a string whose default is unknown, in shapes validators commonly accept. */
const STRING_SHAPES = ['zqxv', 'zqxv.zqyw', '/zqxv', 'zqxv-zqyw', 'zqxv:1', 'Zqxvzqywzqxvzqywzqxvzq'];

/** A string of the same shape as `s` (letters and digits shifted by one), so validators accept it too. */
export function mutate(s: string): string {
  return s.replace(/[a-z]/g, (c) => (c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1)))
    .replace(/[A-Z]/g, (c) => (c === 'Z' ? 'A' : String.fromCharCode(c.charCodeAt(0) + 1)))
    .replace(/[0-9]/g, (c) => String((Number(c) + 1) % 10));
}

/** Values to probe `leaf` with, most likely accepted first; never `known`. */
export function candidatesFor(leaf: ValueLeaf, known: Scalar | undefined): Scalar[] {
  let out: Scalar[];
  if (leaf.enum) out = [...leaf.enum];
  else if (leaf.type === 'boolean') out = [true, false];
  else if (leaf.type === 'number') {
    const d = typeof known === 'number' ? known : undefined;
    // Near and far from the default: a step (a quarter of it, rounded down) may hide a near change.
    out = d === undefined ? [7, 5, 3, 2, 1, 4001, 1009, 211, 53, 11] : [d + 2, 2 * d + 1, d + 1, d - 1, d - 2, 7, 5, 3, 1, 0];
    out = out.filter((n) => typeof n === 'number' && n >= 0);
  } else out = typeof known === 'string' && mutate(known) !== known ? [mutate(known), ...STRING_SHAPES] : STRING_SHAPES;
  return [...new Set(out)].filter((v) => v !== known);
}

/** A field a probed value explains: its sites, and the default the base shows there. */
interface Explained {
  readonly object: string;
  readonly at: Seg[];
  readonly leaf: string;
  readonly sites: Site[];
  readonly default: Scalar;
  readonly base: Scalar;
  readonly probed: Scalar;
}

interface Probe {
  readonly value: Scalar;
  readonly snapshot: Snapshot;
  readonly explained: Explained[];
  /** Structural changes and scalars the probed values do not explain. */
  readonly rest: Change[];
}

function isPropsError(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 'invalid_props';
}

/**
 * Learns the chart from the constructs by differential synthesis: the base synthesis with default
 * props, then one probe per value (a value the constructs accept, distinct from the default), each
 * compared with the base. A scalar that changed with the value is a template site; objects that
 * appear or vanish with a boolean, an enum member or an optional value form a context, whose
 * objects are probed again to find the sites inside them.
 */
export class Discoverer {
  private readonly snapshots = new Map<string, Snapshot | Error>();
  private readonly constructions = new Map<string, boolean | Error>();
  readonly leaves = new Map<string, LeafFinding>();
  /** The sites of the base synthesis. */
  private readonly sites = new SiteMap();

  constructor(
    private readonly source: ChartSource,
    readonly model: ValueObject,
  ) {
    for (const leaf of leavesOf(model)) this.leaves.set(keyOf(leaf), { leaf, key: keyOf(leaf), default: documentedDefault(leaf), effect: false });
  }

  /** The synthesis of `props`, or the PropsError the constructs threw (cached). */
  snapshot(props: JsonMap): Snapshot | Error {
    return this.attempt(this.snapshots, props, () => snapshotOf(this.source, props));
  }

  /** The PropsError the constructs throw for `props` (building only), or undefined when they accept them (cached). */
  rejection(props: JsonMap): Error | undefined {
    const built = this.attempt(this.constructions, props, () => buildApp(this.source, props) !== undefined);
    return built instanceof Error ? built : undefined;
  }

  private attempt<T>(cache: Map<string, T | Error>, props: JsonMap, run: () => T): T | Error {
    const key = JSON.stringify(props);
    let out = cache.get(key);
    if (out === undefined) {
      try {
        out = run();
      } catch (e) {
        if (!isPropsError(e)) throw e;
        out = e as Error;
      }
      cache.set(key, out);
    }
    return out;
  }

  /** The other values `leaf` must be given with, at their defaults. */
  groupDefaults(leaf: ValueLeaf): Array<[readonly string[], Json]> {
    return groupOf(this.model, leaf)
      .filter((l) => l !== leaf)
      .map((l) => {
        const f = this.leaves.get(keyOf(l))!;
        return [l.path, f.default ?? f.example ?? null];
      });
  }

  discover(): Discovery {
    const base = this.snapshot(TOP);
    if (base instanceof Error) throw base;
    const sites = this.sites;
    const contexts: ContextFinding[] = [];
    for (const group of this.groups()) {
      if (group.length > 1) contexts.push(...this.probeGroup(group, TOP, base, sites, GROUP_BASES, group));
      else contexts.push(...this.probeLeaf(group[0]!, TOP, base, sites, true));
    }
    const quiet = new Set([...this.leaves.values()].filter((f) => !f.effect).map((f) => f.key));
    for (const c of contexts) this.probeContext(c, contexts, quiet);
    return { model: this.model, leaves: this.leaves, base, sites, contexts };
  }

  /** The values, each with those it must be set together with (see groupOf), smaller groups first. */
  private groups(): ValueLeaf[][] {
    const all = leavesOf(this.model).map((leaf) => groupOf(this.model, leaf));
    const done = new Set<string>();
    const out: ValueLeaf[][] = [];
    for (const group of [...all].sort((a, b) => a.length - b.length)) {
      if (group.every((l) => done.has(keyOf(l)))) continue;
      group.forEach((l) => done.add(keyOf(l)));
      out.push(group);
    }
    return out;
  }

  /**
   * Probes values that must be set together (their defaults unknown) with distinct numbers at
   * once; learns their defaults. Values without effect here are left for the contexts. When the
   * values fill an optional object that is absent by default and adds fields, that object's
   * presence opens a context.
   */
  private probeGroup(group: ValueLeaf[], props: JsonMap, base: Snapshot, sites: SiteMap, starts: readonly number[], learn: readonly ValueLeaf[]): ContextFinding[] {
    for (const start of starts) {
      const values = group.map((l, i): [ValueLeaf, Scalar] => [l, l.enum ? l.enum[0]! : l.type === 'number' ? start + 2 * i : l.type === 'boolean' ? true : `zq${i}x`]);
      const snapshot = this.snapshot(withValues(props, values.map(([l, v]) => [l.path, v])));
      if (snapshot instanceof Error) continue;
      const probe = this.explain(snapshot, base, values);
      if (probe === 'ambiguous') continue;
      const structural = probe.rest.filter(isStructural);
      if (probe.rest.length === 0) {
        this.record(probe, sites, learn);
        return [];
      }
      const absent = this.absentObject(group);
      if (!absent || structural.length < probe.rest.length || props !== TOP) throw this.unexplained(group.map(keyOf).join(', '), structural.length ? structural : probe.rest);
      this.record(probe, sites, []);
      return [this.presenceContext(absent, group, values)];
    }
    throw new ChartGenerationError('not_templatable', `${group.map(keyOf).join(', ')}: the constructs accepted none of the values tried`);
  }

  /** The innermost optional object on the group's way whose required values all lack a default. */
  private absentObject(group: readonly ValueLeaf[]): Extract<ValueNode, { kind: 'object' }> | undefined {
    const unknown = group.filter((l) => this.leaves.get(keyOf(l))!.default === undefined);
    if (unknown.length === 0) return undefined;
    const objects = optionalAncestors(this.model, unknown[0]!).filter((n): n is Extract<ValueNode, { kind: 'object' }> => n.kind === 'object');
    const inner = objects[objects.length - 1];
    const prefix = inner ? `${inner.path.join('.')}.` : '';
    return inner && unknown.every((l) => keyOf(l).startsWith(prefix)) && group.every((l) => unknown.includes(l) || !keyOf(l).startsWith(prefix)) ? inner : undefined;
  }

  /** The context of an optional object given (with the probe's values) while the rest keeps its defaults. */
  private presenceContext(object: Extract<ValueNode, { kind: 'object' }>, group: readonly ValueLeaf[], values: ReadonlyArray<readonly [ValueLeaf, Scalar]>): ContextFinding {
    const owner = object.path.join('.');
    const inside = values.filter(([l]) => keyOf(l).startsWith(`${owner}.`));
    for (const [l, v] of inside) this.leaves.get(keyOf(l))!.example = v;
    const given = new Map(inside.map(([l, v]) => [l, v]));
    const props = withValues(
      TOP,
      group.map((l): [readonly string[], Json] => [l.path, given.has(l) ? given.get(l)! : (this.leaves.get(keyOf(l))!.default ?? null)]),
    );
    const snapshot = this.snapshot(props);
    if (snapshot instanceof Error) throw snapshot;
    return { owner, cond: { kind: 'truthy', leaf: owner }, props, snapshot, changes: diffSnapshots(this.snapshot(TOP) as Snapshot, snapshot), sites: new SiteMap() };
  }

  /**
   * Probes one value in a context (props, base); records its sites. Returns the contexts its
   * structural changes call for (at the top level only).
   */
  private probeLeaf(leaf: ValueLeaf, props: JsonMap, base: Snapshot, sites: SiteMap, topLevel: boolean): ContextFinding[] {
    const finding = this.leaves.get(keyOf(leaf))!;
    const accepted: Probe[] = [];
    let quiet = 0;
    let acceptedAny = false;
    for (const value of candidatesFor(leaf, finding.default)) {
      const snapshot = this.snapshot(withValues(props, [...this.groupDefaults(leaf), [leaf.path, value]]));
      if (snapshot instanceof Error) continue;
      acceptedAny = true;
      const probe = this.explain(snapshot, base, [[leaf, value]]);
      if (probe === 'ambiguous') continue;
      if (probe.explained.length === 0 && probe.rest.length === 0) {
        if (++quiet >= 3) break;
        continue;
      }
      accepted.push(probe);
      // Enum members are probed one by one; other values twice, to tell an offset from a coincidence.
      if (!leaf.enum && accepted.length === 2) break;
    }
    if (accepted.length === 0) {
      const companion = this.probeWithCompanion(leaf, props, base);
      if (companion) accepted.push(companion);
      else if (acceptedAny) return [];
      else throw new ChartGenerationError('not_templatable', `${keyOf(leaf)}: the constructs accepted none of the values tried (${candidatesFor(leaf, finding.default).join(', ')})`);
    }
    finding.effect = true;
    const [first, second] = accepted;
    if (!leaf.enum && second) this.confirmDerived(first!, second);
    if (!leaf.enum && !second && first!.explained.some((e) => e.sites.some((s) => s.kind === 'list' || s.add !== undefined))) {
      throw new ChartGenerationError('not_templatable', `${keyOf(leaf)}: only one value was accepted, too few to tell how fields derive from it`);
    }
    const contexts: ContextFinding[] = [];
    for (const probe of leaf.enum ? accepted : [first!]) {
      // A value learns its default where it shows: at the top level, or in a context when nowhere else.
      const learn = topLevel || (finding.default === undefined && !this.isContextOwner(leaf));
      this.record(probe, sites, learn ? [leaf] : []);
      if (probe.rest.length === 0) continue;
      const structural = probe.rest.filter(isStructural);
      if (!topLevel) {
        if (!this.isContextOwner(leaf)) throw this.unexplained(keyOf(leaf), structural.length ? structural : probe.rest);
        continue;
      }
      const cond = this.contextCond(leaf, probe);
      if (!cond) throw this.unexplained(keyOf(leaf), structural.length ? structural : probe.rest);
      const contextProps = withValues(props, [...this.groupDefaults(leaf), [leaf.path, probe.value]]);
      contexts.push({ owner: keyOf(leaf), cond, props: contextProps, snapshot: probe.snapshot, changes: probe.rest, sites: new SiteMap() });
    }
    return contexts;
  }

  /**
   * Probes a value the constructs accept only together with another one (a replication factor
   * above the minimum in-sync replicas it bounds): the value another prop was refused for, with
   * that prop (a sibling of the same name as the refusal names) changed as well.
   */
  private probeWithCompanion(leaf: ValueLeaf, props: JsonMap, base: Snapshot): Probe | undefined {
    const finding = this.leaves.get(keyOf(leaf))!;
    const parent = keyOf(leaf).slice(0, -leaf.path[leaf.path.length - 1]!.length);
    for (const value of candidatesFor(leaf, finding.default).slice(0, 4)) {
      const withValue = withValues(props, [...this.groupDefaults(leaf), [leaf.path, value]]);
      const refusal = this.rejection(withValue) as { prop?: string } | undefined;
      const companion = refusal?.prop ? this.leaves.get(`${parent}${refusal.prop}`) : undefined;
      if (!companion || companion.key === keyOf(leaf)) continue;
      for (const other of candidatesFor(companion.leaf, companion.default)) {
        const snapshot = this.snapshot(withValues(withValue, [[companion.leaf.path, other]]));
        if (snapshot instanceof Error) continue;
        const probe = this.explain(snapshot, base, [
          [leaf, value],
          [companion.leaf, other],
        ]);
        if (probe !== 'ambiguous' && (probe.explained.length > 0 || probe.rest.length > 0)) return { ...probe, value };
      }
    }
    return undefined;
  }

  /** The condition of the context a value's probe opens, or undefined when it cannot open one. */
  private contextCond(leaf: ValueLeaf, probe: Probe): Cond | undefined {
    const key = keyOf(leaf);
    const finding = this.leaves.get(key)!;
    if (leaf.type === 'boolean') return probe.value ? { kind: 'truthy', leaf: key } : not({ kind: 'truthy', leaf: key });
    if (leaf.enum) return { kind: 'eq', leaf: key, value: String(probe.value) };
    if (leaf.optional && finding.default === undefined && probe.explained.length === 0) return { kind: 'truthy', leaf: key };
    return undefined;
  }

  private isContextOwner(leaf: ValueLeaf): boolean {
    return leaf.type === 'boolean' || leaf.enum !== undefined || (leaf.optional && this.leaves.get(keyOf(leaf))!.default === undefined);
  }

  /**
   * In a context, probes the values that can show inside what it adds: its own value, every value
   * whose default's text is there, values that fields derive from (offsets, lists), and values
   * that changed nothing outside any context (`quiet`).
   */
  private probeContext(context: ContextFinding, all: readonly ContextFinding[], quiet: ReadonlySet<string>): void {
    const texts: string[] = [];
    const collect = (v: Json | undefined) => {
      if (v === null || v === undefined) return;
      if (typeof v === 'object') Object.values(v).forEach(collect);
      else texts.push(String(v));
    };
    for (const c of context.changes) {
      if (c.kind === 'entry-added' || c.kind === 'item-added') collect(c.value);
      else if (c.kind === 'object-added') collect(c.value.manifest);
      else if (c.kind === 'scalar' || c.kind === 'replaced') collect(c.probe);
    }
    const ownedBy = (key: string, owner: string) => key === owner || key.startsWith(`${owner}.`);
    const owned = (key: string) => all.some((c) => ownedBy(key, c.owner));
    const derived = this.sites.leavesWith((s) => s.kind === 'list' || s.add !== undefined);
    for (const group of this.groups()) {
      const unknown = group.filter((l) => quiet.has(keyOf(l)) && this.leaves.get(keyOf(l))!.default === undefined && !owned(keyOf(l)));
      const inOwner = group.filter((l) => keyOf(l) !== context.owner && ownedBy(keyOf(l), context.owner));
      if (group.length > 1 && (unknown.length > 0 || inOwner.length > 0)) {
        // Values of the object this context gives, or values with no default yet: probed together.
        this.probeGroup(group, context.props, context.snapshot, context.sites, CONTEXT_GROUP_BASES, unknown);
        continue;
      }
      for (const leaf of group) {
        const finding = this.leaves.get(keyOf(leaf))!;
        const own = finding.key === context.owner;
        if (own ? leaf.type === 'boolean' || leaf.enum : owned(finding.key)) continue;
        const text = finding.default === undefined ? '' : textOf(finding.default);
        if (own || quiet.has(finding.key) || derived.has(finding.key) || (text !== '' && texts.some((t) => t.includes(text)))) {
          this.probeLeaf(leaf, context.props, context.snapshot, context.sites, false);
        }
      }
    }
  }

  /** Explains each scalar change by one of the probed values; the rest is left over. */
  private explain(snapshot: Snapshot, base: Snapshot, values: ReadonlyArray<readonly [ValueLeaf, Scalar]>): Probe | 'ambiguous' {
    const explained: Explained[] = [];
    const rest: Change[] = [];
    for (const change of diffSnapshots(base, snapshot)) {
      if (change.kind !== 'scalar') {
        rest.push(change);
        continue;
      }
      const fits: Array<[ValueLeaf, Explanation]> = [];
      for (const [leaf, value] of values) {
        const e = explainScalar(change.base, change.probe, keyOf(leaf), value);
        if (e === 'ambiguous') return 'ambiguous';
        if (e) fits.push([leaf, e]);
      }
      const exact = fits.filter(([, e]) => e.sites.every((s) => s.kind !== 'value' || (s.add === undefined && s.mul === undefined)));
      const chosen = exact.length > 0 ? exact : fits;
      if (chosen.length > 1) return 'ambiguous';
      if (chosen.length === 0) {
        rest.push(change);
        continue;
      }
      const [leaf, e] = chosen[0]!;
      explained.push({ object: change.object, at: change.at, leaf: keyOf(leaf), sites: e.sites, default: e.default, base: change.base, probed: change.probe });
    }
    return { value: values.length === 1 ? values[0]![1] : null, snapshot, explained, rest };
  }

  /**
   * Keeps an offset or a list only when a second value shows the same. A whole number that moved
   * otherwise may be linear in the value (seconds to milliseconds: k·x + c), which two values and
   * the base settle; anything else is unexplained.
   */
  private confirmDerived(first: Probe, second: Probe): void {
    const again = new Map(second.explained.map((e) => [`${e.object}${JSON.stringify(e.at)}`, e]));
    for (let i = first.explained.length - 1; i >= 0; i--) {
      const e = first.explained[i]!;
      if (!e.sites.some((s) => s.kind === 'list' || s.add !== undefined)) continue;
      const e2 = again.get(`${e.object}${JSON.stringify(e.at)}`);
      if (e2 && isDeepStrictEqual(e2.sites, e.sites)) continue;
      const linear = e2 ? linearIn(e, first.value, e2, second.value) : undefined;
      if (linear) first.explained[i] = linear;
      else {
        first.explained.splice(i, 1);
        first.rest.push({ kind: 'scalar', object: e.object, at: e.at, probeAt: e.at, base: e.base, probe: e.probed });
      }
    }
  }

  /** Adds a probe's sites; checks that every field agrees on each value's default, and the docs too. */
  private record(probe: Probe, sites: SiteMap, leaves: readonly ValueLeaf[]): void {
    for (const e of probe.explained) sites.add(e.object, e.at, e.sites);
    for (const leaf of leaves) {
      const seen = probe.explained.filter((e) => e.leaf === keyOf(leaf)).map((e) => e.default);
      if (seen.length === 0) continue;
      const finding = this.leaves.get(keyOf(leaf))!;
      finding.effect = true;
      const distinct = [...new Set(seen)];
      if (distinct.length > 1) throw new ChartGenerationError('not_templatable', `${keyOf(leaf)}: fields disagree on its default (${distinct.map((d) => JSON.stringify(d)).join(', ')})`);
      const documented = documentedDefault(leaf);
      if (documented !== undefined && documented !== distinct[0]) {
        throw new ChartGenerationError('wrong_default_doc', `${keyOf(leaf)}: documented @default ${JSON.stringify(documented)}, but the constructs use ${JSON.stringify(distinct[0])}`);
      }
      finding.default = distinct[0];
    }
  }

  private unexplained(what: string, changes: readonly Change[]): ChartGenerationError {
    const lines = changes.slice(0, 6).map((c) => {
      const at = 'at' in c ? `/${c.at.join('/')}` : '';
      const detail = c.kind === 'scalar' ? `: ${JSON.stringify(c.base)} became ${JSON.stringify(c.probe)}` : c.kind === 'entry-added' || c.kind === 'entry-removed' ? ` key ${c.key}` : '';
      return `  ${c.object}${at} ${c.kind}${detail}`;
    });
    return new ChartGenerationError('not_templatable', `${what} changes the manifests in a way a template cannot express (derive it at run time, or make it a boolean, an enum or an optional value):\n${lines.join('\n')}`,
    );
  }
}

/** A whole-number field equal to k·value + c for both probes and the base (an integer default), or undefined. */
function linearIn(e1: Explained, v1: Scalar, e2: Explained, v2: Scalar): Explained | undefined {
  const site = e1.sites[0];
  if (e1.sites.length !== 1 || site?.kind !== 'value' || typeof v1 !== 'number' || typeof v2 !== 'number' || v1 === v2) return undefined;
  if (typeof e1.probed !== 'number' || typeof e2.probed !== 'number' || typeof e1.base !== 'number') return undefined;
  const k = (e2.probed - e1.probed) / (v2 - v1);
  const c = e1.probed - k * v1;
  const d = (e1.base - c) / k;
  if (!Number.isInteger(k) || k === 0 || !Number.isInteger(c) || !Number.isInteger(d)) return undefined;
  const { add: _, ...rest } = site;
  return { ...e1, sites: [{ ...rest, mul: k, ...(c !== 0 ? { add: c } : {}) }], default: d };
}
