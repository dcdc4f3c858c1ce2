import type { CliContext } from './context.js';

/** Runs a command's body with the context built from the global flags; failures propagate as CliErrors. */
export type Run = (body: (ctx: CliContext) => Promise<void>) => Promise<void>;
