import { isDeepStrictEqual } from 'node:util';
import type { Json, JsonMap, Scalar, Snapshot, SynthObject } from './snapshot.js';

/** A step into a manifest: a map key or a list index. */
export type Seg = string | number;

/**
 * One difference between a base synthesis and a probe. `at` points into the base manifest,
 * `probeAt` into the probe's (they differ once list items were added or removed before).
 */
export type Change =
  | { readonly kind: 'scalar'; readonly object: string; readonly at: Seg[]; readonly probeAt: Seg[]; readonly base: Scalar; readonly probe: Scalar }
  | { readonly kind: 'replaced'; readonly object: string; readonly at: Seg[]; readonly probeAt: Seg[]; readonly base: Json; readonly probe: Json }
  | { readonly kind: 'entry-added'; readonly object: string; readonly at: Seg[]; readonly key: string; readonly probeAt: Seg[]; readonly value: Json }
  | { readonly kind: 'entry-removed'; readonly object: string; readonly at: Seg[]; readonly key: string }
  | { readonly kind: 'item-added'; readonly object: string; readonly at: Seg[]; readonly after: number; readonly probeAt: Seg[]; readonly value: Json }
  | { readonly kind: 'item-removed'; readonly object: string; readonly at: Seg[]; readonly index: number }
  | { readonly kind: 'object-added'; readonly object: string; readonly value: SynthObject }
  | { readonly kind: 'object-removed'; readonly object: string };

/** Whether a change adds or removes something (anything but a scalar that changed in place). */
export function isStructural(c: Change): boolean {
  return c.kind !== 'scalar';
}

/** Every difference between two snapshots, objects matched by construct path. */
export function diffSnapshots(base: Snapshot, probe: Snapshot): Change[] {
  const out: Change[] = [];
  for (const [path, b] of base) {
    const p = probe.get(path);
    if (!p) out.push({ kind: 'object-removed', object: path });
    else diffJson(path, b.manifest, p.manifest, [], [], out);
  }
  for (const [path, p] of probe) if (!base.has(path)) out.push({ kind: 'object-added', object: path, value: p });
  return out;
}

function kindOf(v: Json): 'map' | 'list' | 'scalar' {
  return Array.isArray(v) ? 'list' : v !== null && typeof v === 'object' ? 'map' : 'scalar';
}

function diffJson(object: string, b: Json, p: Json, at: Seg[], probeAt: Seg[], out: Change[]): void {
  if (isDeepStrictEqual(b, p)) return;
  const kb = kindOf(b);
  if (kb !== kindOf(p) || (kb === 'scalar' && typeof b !== typeof p)) {
    out.push({ kind: 'replaced', object, at, probeAt, base: b, probe: p });
  } else if (kb === 'scalar') {
    out.push({ kind: 'scalar', object, at, probeAt, base: b as Scalar, probe: p as Scalar });
  } else if (kb === 'map') {
    const bm = b as JsonMap;
    const pm = p as JsonMap;
    for (const key of Object.keys(bm)) {
      if (key in pm) diffJson(object, bm[key]!, pm[key]!, [...at, key], [...probeAt, key], out);
      else out.push({ kind: 'entry-removed', object, at, key });
    }
    for (const key of Object.keys(pm)) if (!(key in bm)) out.push({ kind: 'entry-added', object, at, key, probeAt: [...probeAt, key], value: pm[key]! });
  } else {
    diffList(object, b as Json[], p as Json[], at, probeAt, out);
  }
}

/** Pairs of [base index, probe index]: by `name` when items have unique names, else by position or by equality. */
function alignList(b: Json[], p: Json[]): Array<[number, number]> {
  const byName = alignByName(b, p);
  if (byName && (byName.length === Math.min(b.length, p.length) || b.length !== p.length)) return byName;
  if (b.length === p.length) return b.map((_, i) => [i, i]);
  return longestCommonSubsequence(b, p);
}

function nameOf(v: Json): string | undefined {
  return kindOf(v) === 'map' && typeof (v as JsonMap).name === 'string' ? ((v as JsonMap).name as string) : undefined;
}

function alignByName(b: Json[], p: Json[]): Array<[number, number]> | undefined {
  const bn = b.map(nameOf);
  const pn = p.map(nameOf);
  const unique = (names: Array<string | undefined>) => names.every((n) => n !== undefined) && new Set(names).size === names.length;
  if (!unique(bn) || !unique(pn)) return undefined;
  return bn.flatMap((n, i): Array<[number, number]> => (pn.includes(n) ? [[i, pn.indexOf(n)]] : []));
}

function longestCommonSubsequence(b: Json[], p: Json[]): Array<[number, number]> {
  const len: number[][] = Array.from({ length: b.length + 1 }, () => new Array<number>(p.length + 1).fill(0));
  for (let i = b.length - 1; i >= 0; i--) {
    for (let j = p.length - 1; j >= 0; j--) {
      len[i]![j] = isDeepStrictEqual(b[i], p[j]) ? len[i + 1]![j + 1]! + 1 : Math.max(len[i + 1]![j]!, len[i]![j + 1]!);
    }
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < b.length && j < p.length; ) {
    if (isDeepStrictEqual(b[i], p[j])) pairs.push([i++, j++]);
    else if (len[i + 1]![j]! >= len[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

function diffList(object: string, b: Json[], p: Json[], at: Seg[], probeAt: Seg[], out: Change[]): void {
  const pairs = alignList(b, p);
  const matchedBase = new Set(pairs.map(([i]) => i));
  const baseOfProbe = new Map(pairs.map(([i, j]) => [j, i]));
  for (const [i, j] of pairs) diffJson(object, b[i]!, p[j]!, [...at, i], [...probeAt, j], out);
  b.forEach((_, i) => {
    if (!matchedBase.has(i)) out.push({ kind: 'item-removed', object, at, index: i });
  });
  let after = -1;
  p.forEach((value, j) => {
    const i = baseOfProbe.get(j);
    if (i !== undefined) after = i;
    else out.push({ kind: 'item-added', object, at, after, probeAt: [...probeAt, j], value });
  });
}
