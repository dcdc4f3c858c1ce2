/**
 * Which metric names a PromQL expression reads. Good enough for the dashboards' own queries:
 * label matchers, `by`/`without` lists, range and offset durations, strings and numbers are
 * dropped; what remains that is not a function, an aggregation or a keyword is a metric name.
 * @example metricsOf('sum by (le) (rate(x_bucket{role="gateway"}[5m]))') // ['x_bucket']
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

export function metricsOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/**
 * The `quantile` of histogram `histogram` (its name without `_bucket`) over 5 minutes, its series
 * summed, one result per value of the `by` labels (none: one result).
 * @example histogramQuantile(0.99, 'x_seconds') // 'histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[5m])))'
 * @example histogramQuantile(0.5, 'x_seconds', ['direction']) // 'histogram_quantile(0.5, sum by (le, direction) (rate(x_seconds_bucket[5m])))'
 */
export function histogramQuantile(quantile: number, histogram: string, by: readonly string[] = []): string {
  return `histogram_quantile(${quantile}, sum by (${['le', ...by].join(', ')}) (rate(${histogram}_bucket[5m])))`;
}
