import { isDeepStrictEqual } from 'node:util';
import type { Seg } from './diff.js';
import type { Scalar } from './snapshot.js';
import type { Site } from './sites.js';

/** When a conditional part of a template renders; `leaf` is a dotted value path. */
export type Cond =
  | { readonly kind: 'truthy'; readonly leaf: string }
  | { readonly kind: 'eq'; readonly leaf: string; readonly value: string }
  | { readonly kind: 'not'; readonly cond: Cond }
  | { readonly kind: 'and'; readonly conds: readonly Cond[] };

/** A piece of a templated scalar. */
export type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly leaf: string; readonly add?: number; readonly mul?: number }
  | { readonly kind: 'index' }
  | { readonly kind: 'list'; readonly leaf: string; readonly separator: string; readonly item: readonly Part[] };

/** A template of one manifest value. */
export type TNode =
  | { readonly kind: 'scalar'; readonly value: Scalar; readonly parts?: readonly Part[] }
  | { readonly kind: 'map'; readonly entries: TEntry[] }
  | { readonly kind: 'list'; readonly items: TItem[] }
  | { readonly kind: 'switch'; readonly cases: Array<{ readonly when: Cond; readonly node: TNode }>; readonly otherwise: TNode }
  | { readonly kind: 'random'; readonly length: number }
  | { readonly kind: 'file'; readonly path: string };

export interface TEntry {
  readonly key: string;
  node: TNode;
  when?: Cond;
  /** True for entries of the base synthesis (the ones base pointers reach). */
  readonly fromBase: boolean;
}

export interface TItem {
  node: TNode;
  when?: Cond;
  /** The item's index in the base synthesis; undefined for items a context adds. */
  readonly baseIndex?: number;
}

/** A template of one manifest. */
export interface TObject {
  readonly chart: string;
  readonly path: string;
  readonly node: Extract<TNode, { kind: 'map' }>;
  when?: Cond;
  /** For a create-only Secret: its name, looked up at install to keep the values it has. */
  readonly keepsValuesOf?: TNode;
}

/** The sites found in a synthesis, by object and pointer. */
export class SiteMap {
  private readonly byObject = new Map<string, Map<string, Site[]>>();

  add(object: string, at: readonly Seg[], sites: readonly Site[]): void {
    let forObject = this.byObject.get(object);
    if (!forObject) this.byObject.set(object, (forObject = new Map()));
    const key = JSON.stringify(at);
    const known = forObject.get(key) ?? [];
    forObject.set(key, [...known, ...sites.filter((s) => !known.some((k) => isDeepStrictEqual(k, s)))]);
  }

  get(object: string, at: readonly Seg[]): readonly Site[] {
    return this.byObject.get(object)?.get(JSON.stringify(at)) ?? [];
  }

  /** The leaves with a site of the given kind (or an offset), anywhere. */
  leavesWith(test: (site: Site) => boolean): Set<string> {
    const out = new Set<string>();
    for (const forObject of this.byObject.values()) for (const sites of forObject.values()) for (const s of sites) if (test(s)) out.add(s.leaf);
    return out;
  }
}

/** The negation of `c`, without double negations. */
export function not(c: Cond): Cond {
  return c.kind === 'not' ? c.cond : { kind: 'not', cond: c };
}

export function and(a: Cond | undefined, b: Cond): Cond {
  if (!a) return b;
  return { kind: 'and', conds: [...(a.kind === 'and' ? a.conds : [a]), b] };
}
