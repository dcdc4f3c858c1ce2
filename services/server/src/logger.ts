import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { ServerConfig } from './config.js';

/** The process's one logger: JSON lines, or human-readable in a terminal. Secrets are redacted. */
export function createLogger(config: Pick<ServerConfig, 'logLevel' | 'logFormat'>, destination?: NodeJS.WritableStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'chat4all' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.access_token', '*.password_hash'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.logFormat === 'pretty') return pino(options, pretty({ colorize: true, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', destination: destination ?? 1 }));
  return destination ? pino(options, destination) : pino(options);
}
