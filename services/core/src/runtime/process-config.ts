/**
 * What every Chat4All program does at its edges with the process: read typed, bounded values
 * from environment variables (failing at start with the variable's name), and stop cleanly on
 * SIGTERM and SIGINT.
 */
export type Env = Record<string, string | undefined>;

/** A bad configuration value; the message names the variable. Programs exit 2 on it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

/** A whole number from `env[name]` within [min, max], or `def` when unset or empty. */
export function envInt(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** One of `allowed` from `env[name]`, or `def` when unset or empty. */
export function envChoice<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  warn(msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * On the first SIGTERM or SIGINT runs `stop`, then exits 0 (1 if it failed); a second signal
 * exits at once. `what` says what stopping does, for the log.
 */
export function exitOnSignals(logger: ShutdownLogger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, what);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
