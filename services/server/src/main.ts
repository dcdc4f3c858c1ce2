#!/usr/bin/env node
/** chat4all-server: reads the configuration, picks the adapters, runs the roles. Wiring only. */
import { randomBytes } from 'node:crypto';
import { exitOnSignals } from '@chat4all/core/runtime';
import { ConfigError, USAGE, flagsToEnv, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startPlatform } from './platform.js';
import { parseBackendEnv, selectBackends } from './real-backends.js';

async function main(): Promise<void> {
  let config;
  try {
    const { env: flagEnv, help } = flagsToEnv(process.argv.slice(2));
    if (help) {
      console.warn(USAGE);
      return;
    }
    config = loadConfig({ ...process.env, ...flagEnv }, process.stdout.isTTY === true);
    parseBackendEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) exitWithConfigError(err);
    throw err;
  }
  const logger = createLogger(config);
  const backends = await selectBackends(config, process.env, logger);
  const jwtSecret = config.jwtSecret ?? randomBytes(32).toString('base64url');
  const platform = await startPlatform({ config, backends, logger, jwtSecret }).catch((err: unknown) => {
    // A port in use is reported like a bad value: the variable to change, no stack trace.
    if (err instanceof ConfigError) exitWithConfigError(err);
    throw err;
  });

  const host = LOCAL_HOSTS.has(config.host) ? 'localhost' : config.host;
  logger.info(
    { role: config.role, backends: backends.kind, api: platform.apiPort, websocket: platform.websocketPort, metrics: platform.metricsPort },
    `chat4all-server started (role ${config.role})`,
  );
  if (platform.apiPort !== undefined) logger.info(`API:        http://${host}:${platform.apiPort}  (OpenAPI at /openapi.json)`);
  if (platform.websocketPort !== undefined) logger.info(`WebSocket:  ws://${host}:${platform.websocketPort}/notifications`);
  if (platform.metricsPort !== undefined) logger.info(`Metrics:    http://${host}:${platform.metricsPort}/metrics`);
  if (config.host === '127.0.0.1') logger.info('listening on 127.0.0.1 only: set HOST=0.0.0.0 to accept connections from other machines');
  if (backends.kind === 'memory') logger.warn('state is kept in memory only: users, conversations and messages are lost when this process stops');
  if (config.jwtSecret === undefined) logger.warn('JWT_SECRET is not set: a random one was generated, so tokens do not survive a restart');

  exitOnSignals(logger, 'shutting down: draining connections', async () => {
    await platform.shutdown();
    logger.info('stopped');
  });
}

/** Addresses that `localhost` reaches, shown as `localhost` in the start banner. */
const LOCAL_HOSTS = new Set(['0.0.0.0', '::', '127.0.0.1', '::1']);

function exitWithConfigError(err: ConfigError): never {
  console.error(`chat4all-server: ${err.message}`);
  process.exit(2);
}

main().catch((err: unknown) => {
  console.error('chat4all-server failed to start:', err);
  process.exit(1);
});
