import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Why a value is not what the contract says. `code` is stable (clients, dead-letter headers and
 * tests match on it); `field` names the offending field as a dotted path (`attachments.0.size`).
 */
export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** What a decoder gives: the typed value, or the reason it is not one. Decoders never throw. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: WireError };

export const decoded = <T>(value: T): Decoded<T> => ({ ok: true, value });
export const refused = <T = never>(code: string, message: string, field?: string): Decoded<T> => ({ ok: false, error: new WireError(code, message, field) });

/** The value of `result`, or its WireError thrown: for callers to whom a refusal is exceptional. */
export function orThrow<T>(result: Decoded<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

interface FirstError {
  keyword: string;
  instancePath: string;
  params: object;
  message: string;
}

/** `a.0.b` from the JSON pointer `/a/0/b` (with `~1` and `~0` unescaped). */
function dotted(pointer: string): string[] {
  return pointer
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** One readable sentence for a validation error: the field it is about, and what is wrong with it. */
function describe(e: FirstError): { field: string; problem: string } {
  const path = dotted(e.instancePath);
  const params: { requiredProperties?: unknown; additionalProperties?: unknown; allowedValues?: unknown; allowedValue?: unknown } = e.params;
  if (e.keyword === 'required' && Array.isArray(params.requiredProperties)) {
    return { field: [...path, String(params.requiredProperties[0])].join('.'), problem: 'is required' };
  }
  if (e.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
    return { field: [...path, String(params.additionalProperties[0])].join('.'), problem: 'is not a known field' };
  }
  // Name the values: "must be equal to constant" alone does not tell which.
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) return { field: path.join('.'), problem: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  if (e.keyword === 'const') return { field: path.join('.'), problem: `must be ${JSON.stringify(params.allowedValue)}` };
  return { field: path.join('.'), problem: e.message };
}

/**
 * A validate-and-type function for `schema`: the value itself (narrowed by the compiled check,
 * never cast) or a WireError of `code` whose message starts with `what` and names the first
 * problem found. Compiled once, when the contract loads.
 */
export function validator<T extends TSchema>(schema: T, code: string, what: string): (value: unknown) => Decoded<Static<T>> {
  const compiled = Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return decoded(value);
    // The errors of a required field come before those of the fields present; either way the
    // first one is the one reported (collecting all of untrusted input costs time).
    const [first]: FirstError[] = compiled.Errors(value);
    if (first === undefined) return refused(code, `${what} is invalid`);
    const { field, problem } = describe(first);
    return refused(code, field === '' ? `${what} ${problem}` : `${what}: ${field} ${problem}`, field === '' ? undefined : field);
  };
}

/**
 * JSON text parsed into an object, or a refusal naming `what`: codes `<prefix>_too_large`,
 * `<prefix>_not_json` and `<prefix>_not_object`. Text over `maxLength` UTF-16 units is over that
 * many UTF-8 bytes too, so the bound is checked before any parsing.
 */
export function parseObject(text: string, maxLength: number, prefix: string, what: string): Decoded<object> {
  if (text.length > maxLength) return refused(`${prefix}_too_large`, `${what} over ${maxLength} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refused(`${prefix}_not_json`, `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refused(`${prefix}_not_object`, `${what} is not a JSON object`);
  return decoded(value);
}
