import pino from 'pino';
import { KafkaEventLog } from '../src/kafka-event-log.js';
import type { KafkaEventLogOptions } from '../src/kafka-options.js';

/** The test broker from `scripts/services.sh env`; fails with how to start it when unset. */
export function brokers(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (!raw) throw new Error('KAFKA_BROKERS is not set: run `scripts/services.sh up kafka`, then `set -a; eval "$(scripts/services.sh env)"; set +a`');
  return raw.split(',').map((b) => b.trim());
}

/** Test logs: warnings and errors only, or LOG_LEVEL. */
export const testLogger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

export async function openLog(options: Partial<KafkaEventLogOptions> = {}): Promise<KafkaEventLog> {
  const log = new KafkaEventLog({ brokers: brokers(), clientId: 'chat4all-kafka-test', logger: testLogger, partitions: 4, ...options });
  await log.connect();
  return log;
}
