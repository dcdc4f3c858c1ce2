import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

const TO_KAFKAJS: Record<KafkaLogLevel, logLevel> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * kafkajs warnings that say nothing to an operator of this adapter, logged at debug instead:
 * the adapter limits the idempotent producer's retries on purpose and replaces the producer
 * (a new producer id) after a failed send, which is what keeps the guarantees.
 */
const EXPECTED = [/^Limiting retries for the idempotent producer/];

/**
 * kafkajs logs every error response at error level in its `Connection` namespace ("Response
 * Heartbeat(...)" during each rebalance, for one). The code that made the request retries or
 * logs the outcome itself, so these go to debug.
 */
function isResponseTrace(namespace: string, message: string): boolean {
  return namespace === 'Connection' && message.startsWith('Response ');
}

/** The kafkajs log level that matches `level`, for `new Kafka({ logLevel })`. */
export function kafkaLogLevel(level: KafkaLogLevel = 'warn'): logLevel {
  return TO_KAFKAJS[level];
}

/**
 * A kafkajs `logCreator` that writes to `logger` (pino), as structured entries with the kafkajs
 * namespace (`Producer`, `Consumer`, `Connection`...) and its extra fields. Pair it with
 * `kafkaLogLevel(level)`: kafkajs filters the levels itself.
 *
 * @example new Kafka({ brokers, logLevel: kafkaLogLevel('warn'), logCreator: kafkaLogCreator(logger) })
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry;
      const fields = { namespace, ...extra };
      const text = String(message);
      if (level === logLevel.ERROR && !isResponseTrace(namespace, text)) log.error(fields, text);
      else if (level === logLevel.WARN && !EXPECTED.some((re) => re.test(text))) log.warn(fields, text);
      else if (level === logLevel.INFO) log.info(fields, text);
      else log.debug(fields, text);
    };
}
