import { type Discoverer, candidatesFor } from './discover.js';
import { ChartGenerationError } from './errors.js';
import { type Json, withValues } from './snapshot.js';
import type { ValueLeaf } from './values-model.js';

/** What the constructs accept for one number, as JSON Schema keywords and a sentence. */
export interface ValueConstraint {
  readonly integer: boolean;
  readonly schema: { readonly minimum?: number; readonly maximum?: number; readonly enum?: readonly number[] };
  readonly summary?: string;
}

/** `leaf op other`: a bound that moves with another value (min <= max, replication <= nodes). */
export interface Relation {
  readonly leaf: string;
  readonly op: '<=' | '<' | '>=' | '>';
  readonly other: string;
}

export interface LearnedValidation {
  readonly constraints: ReadonlyMap<string, ValueConstraint>;
  readonly relations: readonly Relation[];
}

/** Ranges this wide or narrower are tried value by value, so gaps (odd counts only) show. */
const ENUMERATE_UP_TO = 16;
/** Upper bounds above this are none. */
const NO_LIMIT = 2 ** 31;

interface Identity {
  readonly scopePath: string;
  readonly prop: string;
}

const keyOf = (leaf: ValueLeaf): string => leaf.path.join('.');

/**
 * Learns what the constructs accept for every number by asking them: a fractional value makes a
 * whole-number check refuse and name its range (PropsError.bounds); the limits of that range are
 * tried, narrower limits are searched for and explained by another number of the props whose
 * default sits at the limit and which moves it when changed (a relation); narrow ranges are tried
 * value by value. Refusals about other props do not count against the one being learned.
 */
export function learnValidation(discoverer: Discoverer): LearnedValidation {
  const constraints = new Map<string, ValueConstraint>();
  const relations: Relation[] = [];
  const numbers = [...discoverer.leaves.values()].filter((f) => f.leaf.type === 'number');
  for (const finding of numbers) {
    const learned = new NumberLearner(discoverer, finding.leaf, numbers.map((n) => n.leaf)).learn();
    constraints.set(finding.key, learned.constraint);
    for (const r of learned.relations) if (!relations.some((k) => same(k, r))) relations.push(r);
  }
  return { constraints, relations };
}

const FLIP = { '<=': '>=', '<': '>', '>=': '<=', '>': '<' } as const;
function same(a: Relation, b: Relation): boolean {
  return (a.leaf === b.leaf && a.op === b.op && a.other === b.other) || (a.leaf === b.other && a.other === b.leaf && FLIP[a.op] === b.op);
}

class NumberLearner {
  private readonly key: string;
  private identity: Identity | undefined;

  constructor(
    private readonly discoverer: Discoverer,
    private readonly leaf: ValueLeaf,
    private readonly numbers: readonly ValueLeaf[],
  ) {
    this.key = keyOf(leaf);
  }

  /** The value `leaf` has in the props this learning builds: its default, or the example given when it has none. */
  private defaultOf(leaf: ValueLeaf): number | undefined {
    const f = this.discoverer.leaves.get(keyOf(leaf))!;
    const d = f.default ?? f.example;
    return typeof d === 'number' ? d : undefined;
  }

  /** The props with this number at `value` (and `other` at its value). */
  private props(value: number, other?: readonly [ValueLeaf, number]) {
    const values: Array<[readonly string[], Json]> = [...this.discoverer.groupDefaults(this.leaf)];
    if (other) values.push(...this.discoverer.groupDefaults(other[0]), [other[0].path, other[1]]);
    values.push([this.leaf.path, value]);
    return withValues({}, values);
  }

  /** Whether the constructs accept `value` as far as this number's own checks go. */
  private accepts(value: number, other?: readonly [ValueLeaf, number]): boolean {
    const e = this.discoverer.rejection(this.props(value, other)) as (Identity & Error) | undefined;
    if (!e || !this.identity) return !e;
    return !(e.scopePath === this.identity.scopePath && (e.prop === this.identity.prop || this.identity.prop.startsWith(`${e.prop}.`)));
  }

  learn(): { constraint: ValueConstraint; relations: Relation[] } {
    const anchor = this.defaultOf(this.leaf) ?? candidatesFor(this.leaf, undefined).find((v) => !this.discoverer.rejection(this.props(v as number)));
    if (typeof anchor !== 'number') return { constraint: { integer: false, schema: {} }, relations: [] };
    const refusal = this.discoverer.rejection(this.props(anchor + 0.5)) as (Identity & { bounds?: { minimum: number; maximum: number } }) | undefined;
    if (!refusal?.bounds) return { constraint: { integer: Number.isInteger(anchor), schema: {} }, relations: [] };
    this.identity = { scopePath: refusal.scopePath, prop: refusal.prop };
    const { minimum, maximum } = refusal.bounds;
    const hi = this.accepts(maximum) ? maximum : (this.limitAtPartner(anchor, +1) ?? this.search(anchor, maximum, +1));
    const lo = this.accepts(minimum) ? minimum : (this.limitAtPartner(anchor, -1) ?? this.search(anchor, minimum, -1));
    const upper = this.explain(hi, +1);
    const lower = this.explain(lo, -1);
    if (hi < maximum && !upper) throw new ChartGenerationError('not_templatable', `${this.key}: the constructs accept at most ${hi}, a limit no other value explains`);
    if (lo > minimum && !lower) throw new ChartGenerationError('not_templatable', `${this.key}: the constructs accept no less than ${lo}, a limit no other value explains`);
    // A range a whole-number check states may itself be another value (at most replicationFactor).
    const dynamicMax = upper && hi === maximum ? upper : this.explain(maximum, +1);
    const dynamicMin = lower && lo === minimum ? lower : this.explain(minimum, -1);
    const schema: { minimum?: number; maximum?: number; enum?: number[] } = {};
    if (!dynamicMin) schema.minimum = minimum;
    if (!dynamicMax && maximum < NO_LIMIT) schema.maximum = maximum;
    if (!lower && !upper && hi - lo <= ENUMERATE_UP_TO) {
      const allowed = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((v) => this.accepts(v));
      if (allowed.length < hi - lo + 1) {
        delete schema.minimum;
        delete schema.maximum;
        schema.enum = allowed;
      }
    }
    const relations = [upper ?? dynamicMax, lower ?? dynamicMin].filter((r): r is Relation => r !== undefined);
    return { constraint: { integer: true, schema, summary: summarize(schema, relations) }, relations };
  }

  /** Numbers that may bound this one: those of the same props object (path minus its last two names), nearest first. */
  private partners(): ValueLeaf[] {
    const scope = Math.min(2, this.leaf.path.length - 1);
    return this.numbers
      .filter((m) => m !== this.leaf && this.defaultOf(m) !== undefined && sharedPrefix(m.path, this.leaf.path) >= scope)
      .sort((a, b) => sharedPrefix(b.path, this.leaf.path) - sharedPrefix(a.path, this.leaf.path));
  }

  /** The limit towards `direction` when it sits at (or next to) a partner's default: two tries instead of a search. */
  private limitAtPartner(anchor: number, direction: 1 | -1): number | undefined {
    for (const other of this.partners()) {
      const m = this.defaultOf(other)!;
      for (const edge of [m, m - direction]) {
        if (direction * (edge - anchor) >= 0 && this.accepts(edge) && !this.accepts(edge + direction)) return edge;
      }
    }
    return undefined;
  }

  /** The last accepted value from `anchor` towards `limit` (exponential, then binary search). */
  private search(anchor: number, limit: number, direction: 1 | -1): number {
    let good = anchor;
    let step = 1;
    let bad = limit;
    while (direction * (anchor + direction * step - limit) < 0) {
      const v = anchor + direction * step;
      if (!this.accepts(v)) {
        bad = v;
        break;
      }
      good = v;
      step *= 2;
    }
    while (Math.abs(bad - good) > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (this.accepts(mid)) good = mid;
      else bad = mid;
    }
    return good;
  }

  /**
   * A relation that explains a limit: another number whose default is at it (or one past it) and
   * which moves it: with the other changed, the limit is where the relation puts it, and it either
   * lets through what was refused or refuses what was let through.
   */
  private explain(limit: number, direction: 1 | -1): Relation | undefined {
    for (const other of this.partners()) {
      const m = this.defaultOf(other)!;
      const strict = m === limit + direction;
      if (m !== limit && !strict) continue;
      for (const moved of candidatesFor(other, m)) {
        if (typeof moved !== 'number' || !Number.isInteger(moved)) continue;
        const pair = [other, moved] as const;
        const edge = strict ? moved - direction : moved;
        if (edge === limit || this.discoverer.rejection(this.props(edge, pair))) continue;
        // The first valid change of the other number decides whether it is the limit.
        const looser = direction * (edge - limit) > 0;
        if (!this.accepts(edge + direction, pair) && (looser || this.accepts(edge + direction))) {
          const op = direction > 0 ? (strict ? '<' : '<=') : strict ? '>' : '>=';
          return { leaf: this.key, op, other: keyOf(other) };
        }
        break;
      }
    }
    return undefined;
  }
}

function sharedPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const WORDS = { '<=': 'at most', '<': 'below', '>=': 'at least', '>': 'above' } as const;

function summarize(schema: ValueConstraint['schema'], relations: readonly Relation[]): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(`One of ${schema.enum.join(', ')}`);
  else if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`A whole number from ${schema.minimum} to ${schema.maximum}`);
  else if (schema.minimum !== undefined) parts.push(`A whole number, at least ${schema.minimum}`);
  else parts.push('A whole number');
  for (const r of relations) parts.push(`${WORDS[r.op]} ${r.other}`);
  return `${parts.join('; ')}.`;
}
