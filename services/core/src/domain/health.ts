/** What a backend adapter says of its connection, for /readyz. */
export interface BackendHealth {
  /** `up`: serving; `down`: cannot serve now (it keeps trying to recover by itself). */
  status: 'up' | 'down';
  /** A short human reason when down. Never contains secrets. */
  detail?: string;
}

/** Every adapter reports its health, synchronously, from the state it keeps. */
export interface Backend {
  /** A short stable name for /readyz, e.g. `kafka`, `cassandra`, `redis`, `memory`. */
  readonly backendName: string;
  health(): BackendHealth;
}
