import { TOPIC_DEAD_LETTER } from '@chat4all/contract';
import { type EventLog, type LogRecord, isChat4AllError } from '@chat4all/core';

export interface RecordFailure {
  record: LogRecord;
  code: string;
  message: string;
  attempts: number;
}

/**
 * Decides what a failed record becomes. A record that is not valid (`invalid`) is poison: it goes
 * to the dead-letter topic at once. A backend outage (`unavailable`) is retried for as long as it
 * lasts: the worker waits and catches up. Any other failure is retried `maxAttempts` times, then
 * the record goes to the dead-letter topic with the reason, so one bad record cannot stop a
 * partition.
 */
export class DeadLetterPolicy {
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly eventLog: EventLog,
    private readonly maxAttempts: number,
    private readonly now: () => number,
  ) {}

  /** Resolves the failure when the record was put aside; rethrows `err` when it must be retried. */
  async onError(record: LogRecord, err: unknown): Promise<RecordFailure> {
    const key = `${record.topic}/${record.partition}/${record.offset}`;
    const code = isChat4AllError(err) ? err.code : 'internal';
    const message = err instanceof Error ? err.message : String(err);
    const retryForever = isChat4AllError(err, 'unavailable');
    const poison = isChat4AllError(err, 'invalid');
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    if (retryForever || (!poison && attempts < this.maxAttempts)) {
      if (!retryForever) this.attempts.set(key, attempts);
      throw err;
    }
    this.attempts.delete(key);
    await this.eventLog.append(TOPIC_DEAD_LETTER, [
      {
        key: record.key,
        value: record.value,
        headers: {
          ...record.headers,
          'x-original-topic': record.topic,
          'x-original-partition': String(record.partition),
          'x-original-offset': record.offset,
          'x-error-code': code,
          'x-error-message': message.slice(0, 500),
          'x-attempts': String(attempts),
          'x-failed-at': new Date(this.now()).toISOString(),
        },
      },
    ]);
    return { record, code, message, attempts };
  }

  /** Forgets the attempts of a record that finally succeeded. */
  succeeded(record: LogRecord): void {
    if (this.attempts.size > 0) this.attempts.delete(`${record.topic}/${record.partition}/${record.offset}`);
  }
}
