import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type Backends, memoryBackends } from './backends.js';
import { loadConfig } from './config.js';
import { type GatewayTuning, type RunningPlatform, startPlatform } from './platform.js';

export interface EmbeddedOptions {
  /** 0 or undefined: a free port. */
  apiPort?: number;
  websocketPort?: number;
  metricsPort?: number;
  jwtSecret?: string;
  /** Gateway heartbeat period. @default 15000 */
  heartbeatMs?: number;
  /** Logger for the platform. @default silent */
  logger?: pino.Logger;
  gateway?: GatewayTuning;
}

/** A further gateway on the same backends. */
export interface ExtraGateway {
  websocketUrl: string;
  platform: RunningPlatform;
  close(): Promise<void>;
}

/** The whole platform on in-memory adapters inside the caller's process, for tests and tools. */
export interface Embedded {
  apiUrl: string;
  /** ws://127.0.0.1:P (append /notifications). */
  websocketUrl: string;
  metricsUrl: string;
  jwtSecret: string;
  /** The shared in-memory backends (tests publish or inspect through them). */
  backends: Backends;
  platform: RunningPlatform;
  /** Stops the gateway (its clients see their connections drop); the rest keeps running. */
  stopGateway(): Promise<void>;
  /** Starts a gateway again on the same port, on the same backends. */
  startGateway(): Promise<void>;
  /** Starts another gateway on the same backends, on a free port (users spread over gateways). */
  addGateway(): Promise<ExtraGateway>;
  close(): Promise<void>;
}

/** Starts api, worker and gateway in this process on fresh in-memory backends. */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const jwtSecret = options.jwtSecret ?? randomBytes(32).toString('base64url');
  const logger = options.logger ?? pino({ level: 'silent' });
  const config = loadConfig({
    HOST: '127.0.0.1',
    API_PORT: String(options.apiPort ?? 0),
    WEBSOCKET_PORT: String(options.websocketPort ?? 0),
    METRICS_PORT: String(options.metricsPort ?? 0),
    HEARTBEAT_MS: String(options.heartbeatMs ?? 15_000),
    SEND_RATE_LIMIT: "1000",
    LOG_FORMAT: 'json',
  });
  const backends = memoryBackends(config);
  const keepBackends = { ...backends, close: async () => {} };
  // The gateway runs as a platform of its own on the shared backends, so it can stop and start alone.
  const tuning = options.gateway ? { gateway: options.gateway } : {};
  const extras: RunningPlatform[] = [];
  const core = await startPlatform({ config: { ...config, role: 'api' }, backends: keepBackends, logger, jwtSecret, passwords: { N: 1024, r: 8, p: 1 } });
  const worker = await startPlatform({ config: { ...config, role: 'worker', metricsPort: 0 }, backends: keepBackends, logger, jwtSecret });
  let gateway = await startPlatform({ config: { ...config, role: 'gateway' }, backends: keepBackends, logger, jwtSecret, ...tuning });
  const websocketPort = gateway.websocketPort!;
  const metricsPort = gateway.metricsPort!;
  return {
    apiUrl: `http://127.0.0.1:${core.apiPort}`,
    websocketUrl: `ws://127.0.0.1:${websocketPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    jwtSecret,
    backends,
    get platform() {
      return gateway;
    },
    async stopGateway() {
      await gateway.shutdown(0);
    },
    async startGateway() {
      gateway = await startPlatform({ config: { ...config, role: 'gateway', websocketPort, metricsPort }, backends: keepBackends, logger, jwtSecret, ...tuning });
    },
    async addGateway() {
      const extra = await startPlatform({ config: { ...config, role: 'gateway', websocketPort: 0, metricsPort: 0 }, backends: keepBackends, logger, jwtSecret, ...tuning });
      extras.push(extra);
      return { websocketUrl: `ws://127.0.0.1:${extra.websocketPort}`, platform: extra, close: () => extra.shutdown(0) };
    },
    async close() {
      await Promise.all(extras.map((g) => g.shutdown(0)));
      await gateway.shutdown(0);
      await core.shutdown(0);
      await worker.shutdown(0);
      await backends.close();
    },
  };
}
