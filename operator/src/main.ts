#!/usr/bin/env node
/** chat4all-operator: reads the configuration, connects to the API server, runs. Wiring only. */
import { KubeConfig } from '@kubernetes/client-node';
import { exitOnSignals } from '@chat4all/core/runtime';
import { ConfigError, loadConfig } from './config.js';
import { systemClock } from './decision.js';
import { startHealthServer } from './health-server.js';
import { createLogger } from './logger.js';
import { Operator } from './operator.js';
import { OperatorMetrics } from './operator-metrics.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`chat4all-operator: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config);
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromCluster();

  const metrics = new OperatorMetrics();
  const operator = new Operator({ config, kubeConfig, metrics, logger, clock: systemClock });
  const health = await startHealthServer({
    host: config.metricsHost,
    port: config.metricsPort,
    registry: metrics.registry,
    ready: () => operator.ready,
    describe: () => ({ identity: config.identity, leader: operator.isLeader }),
  });
  operator.start();
  logger.info(
    { namespace: config.namespace, lease: `${config.leaseNamespace}/${config.leaseName}`, identity: config.identity, metricsPort: health.port },
    'chat4all-operator started',
  );

  exitOnSignals(logger, 'stopping: releasing the Lease', async () => {
    await operator.stop();
    await health.close();
  });
}

main().catch((err: unknown) => {
  console.error('chat4all-operator failed to start:', err);
  process.exit(1);
});
