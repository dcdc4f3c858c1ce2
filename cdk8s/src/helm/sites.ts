import type { Scalar } from './snapshot.js';

/**
 * Where a value shows in one scalar of the base synthesis, as a range of its text:
 * - `value`: the value itself (or, for a whole number, the value times `mul` plus `add`);
 * - `list`: the whole scalar is `count` items joined by `separator`, each item the first one with
 *   its index in place of the `index` ranges (e.g. `kafka-0.kafka-headless:9092,kafka-1...`).
 */
export type Site =
  | { readonly kind: 'value'; readonly leaf: string; readonly start: number; readonly end: number; readonly add?: number; readonly mul?: number }
  | {
      readonly kind: 'list';
      readonly leaf: string;
      readonly start: number;
      readonly end: number;
      readonly separator: string;
      readonly item: { readonly start: number; readonly end: number };
      readonly index: ReadonlyArray<readonly [number, number]>;
    };

/** How a probe's change of one scalar is explained by the value that was probed. */
export interface Explanation {
  readonly sites: Site[];
  /** The value's default, as read off the base synthesis. */
  readonly default: Scalar;
}

/** The text a value has inside strings. */
export function textOf(value: Scalar): string {
  return value === null ? '' : String(value);
}

const SEPARATORS = [',', ';', ' ', '\n'];
const MAX_SUBSET_OCCURRENCES = 10;

/**
 * Explains how `base` became `probe` when the value `leaf` was set to `value`: as the value (or an
 * offset of it) in place of its default, or as a list of one item per index. Returns 'ambiguous'
 * when several readings fit (the caller tries another probe value) and undefined when none does.
 */
export function explainScalar(base: Scalar, probe: Scalar, leaf: string, value: Scalar): Explanation | 'ambiguous' | undefined {
  if (typeof base === 'number' && typeof probe === 'number') {
    if (typeof value !== 'number') return undefined;
    const whole = { kind: 'value' as const, leaf, start: 0, end: String(base).length };
    if (probe === value) return { sites: [whole], default: base };
    return { sites: [{ ...whole, add: probe - value }], default: base - (probe - value) };
  }
  if (typeof base === 'boolean' && typeof probe === 'boolean') {
    return probe === value ? { sites: [{ kind: 'value', leaf, start: 0, end: String(base).length }], default: base } : undefined;
  }
  if (typeof base !== 'string' || typeof probe !== 'string') return undefined;
  const substituted = explainSubstitution(base, probe, leaf, value);
  if (substituted !== undefined) return substituted;
  return typeof value === 'number' && Number.isInteger(value) ? explainList(base, probe, leaf, value) : undefined;
}

function occurrences(text: string, part: string): number[] {
  const out: number[] = [];
  if (part === '') return out;
  for (let i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length)) out.push(i);
  return out;
}

function parseAs(text: string, like: Scalar): Scalar | undefined {
  if (typeof like === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
  if (typeof like === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return text;
}

/** `probe` is `base` with some occurrences of the default replaced by `value`'s text. */
function explainSubstitution(base: string, probe: string, leaf: string, value: Scalar): Explanation | 'ambiguous' | undefined {
  const text = textOf(value);
  const found = occurrences(probe, text);
  if (found.length === 0) return undefined;
  const subsets: number[][] =
    found.length > MAX_SUBSET_OCCURRENCES ? [found] : Array.from({ length: 2 ** found.length - 1 }, (_, m) => found.filter((_, i) => ((m + 1) >> i) & 1));
  const solutions: Explanation[] = [];
  for (const subset of subsets) {
    const grow = base.length - probe.length;
    if (grow % subset.length !== 0) continue;
    const length = grow / subset.length + text.length;
    if (length < 0) continue;
    const defaultText = base.substr(subset[0]!, length);
    const parsed = parseAs(defaultText, value);
    if (parsed === undefined || parsed === value) continue;
    let rebuilt = '';
    let from = 0;
    const sites: Site[] = [];
    for (const at of subset) {
      rebuilt += probe.slice(from, at);
      sites.push({ kind: 'value', leaf, start: rebuilt.length, end: rebuilt.length + length });
      rebuilt += defaultText;
      from = at + text.length;
    }
    rebuilt += probe.slice(from);
    if (rebuilt === base) solutions.push({ sites, default: parsed });
  }
  if (solutions.length > 1) return 'ambiguous';
  return solutions[0];
}

/** Positions in `first` of the index digit, such that putting `1` there gives `second`. */
function indexPositions(first: string, second: string): number[] | undefined {
  const zeros = occurrences(first, '0');
  if (zeros.length === 0 || zeros.length > MAX_SUBSET_OCCURRENCES) return undefined;
  const fits: number[][] = [];
  for (let m = 1; m < 2 ** zeros.length; m++) {
    const subset = zeros.filter((_, i) => (m >> i) & 1);
    if (itemAt(first, subset, 1) === second) fits.push(subset);
  }
  return fits.length === 1 ? fits[0] : undefined;
}

function itemAt(first: string, positions: readonly number[], index: number): string {
  let out = '';
  let from = 0;
  for (const p of positions) {
    out += first.slice(from, p) + String(index);
    from = p + 1;
  }
  return out + first.slice(from);
}

/** `base` and `probe` list one item per index, `probe` exactly `count` of them. */
function explainList(base: string, probe: string, leaf: string, count: number): Explanation | undefined {
  for (const separator of SEPARATORS) {
    const probeItems = probe.split(separator);
    if (probeItems.length !== count || count < 1) continue;
    const baseItems = base === '' ? [] : base.split(separator);
    if (baseItems.length < 1 || baseItems[0] !== probeItems[0]) continue;
    const sample = baseItems.length >= 2 ? baseItems : probeItems;
    if (sample.length < 2) continue;
    const positions = indexPositions(sample[0]!, sample[1]!);
    if (!positions) continue;
    const fits = (items: string[]) => items.every((item, i) => item === itemAt(sample[0]!, positions, i));
    if (!fits(baseItems) || !fits(probeItems)) continue;
    const site: Site = {
      kind: 'list',
      leaf,
      start: 0,
      end: base.length,
      separator,
      item: { start: 0, end: baseItems[0]!.length },
      index: positions.map((p) => [p, p + 1] as const),
    };
    return { sites: [site], default: baseItems.length };
  }
  return undefined;
}
