/** A UTF-16 surrogate without its other half: text that no UTF-8 encoder or strict JSON parser accepts. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` is well-formed Unicode (no lone surrogate), so it encodes to UTF-8 and back unchanged. */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * The path (`content`, `members.3`) of the first string, key or value, in a parsed JSON value that
 * is not well-formed Unicode; undefined when every one is. JSON text can carry such strings only
 * as `\ud800`-style escapes.
 */
export function malformedTextPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : path.join('.');
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, v] of Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)) {
    if (!isWellFormedText(key)) return [...path, key.replace(LONE_SURROGATE, '?')].join('.');
    const found = malformedTextPath(v, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
