import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { OperatorConfig } from './config.js';

export type { Logger };

/** The process's one logger (JSON lines, or human-readable); modules get children of it. */
export function createLogger(config: Pick<OperatorConfig, 'logLevel' | 'logFormat'>): Logger {
  const options: pino.LoggerOptions = { level: config.logLevel, base: { service: 'chat4all-operator' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (config.logFormat === 'pretty') return pino(options, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  return pino(options);
}
