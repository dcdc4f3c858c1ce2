/** Why a chart cannot be generated; `code` says which kind of problem it is. */
export type ChartGenerationCode =
  /** A prop whose type cannot be a Helm value (a construct, a function, an array, a mixed union). */
  | 'unsupported_prop'
  /** A construct derives a field from a value in a way no template expresses, or probing found no usable value. */
  | 'not_templatable'
  /** A prop's `@default` documentation says something else than the construct does. */
  | 'wrong_default_doc';

/** Raised by the chart generator; the message names the value and the manifest field concerned. */
export class ChartGenerationError extends Error {
  override readonly name = 'ChartGenerationError';
  readonly code: ChartGenerationCode;

  constructor(code: ChartGenerationCode, message: string) {
    super(message);
    this.code = code;
  }
}
