import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionStatus } from '../src/connection-status.js';
import type { ConnectionEvent } from '../src/notifications.js';

const connected = (reconnected: boolean): ConnectionEvent => ({
  type: 'connected',
  frame: { type: 'connected', user_id: 'u1', connection_id: 'c1', server_time: '2025-01-05T12:00:00.000Z' },
  reconnected,
  since: undefined,
});
const retry = (attempt: number, reason = 'connection refused'): ConnectionEvent => ({ type: 'reconnecting', reason, closeCode: undefined, retryInMs: 500 * attempt, attempt });

/** Feeds the events with the clock at each event's time (ms); returns the lines shown. */
function run(events: [atMs: number, event: ConnectionEvent][]): string[] {
  let now = 0;
  const status = new ConnectionStatus('ana', 'ws://localhost:8085', () => now);
  const lines: string[] = [];
  for (const [at, event] of events) {
    now = at;
    const line = status.line(event);
    if (line) lines.push(`${line.tone}: ${line.text}`);
  }
  return lines;
}

describe('connection status lines', () => {
  it('say once that the gateway is offline and once that it is back, however many retries come between', () => {
    const retries = Array.from({ length: 9 }, (_, i): [number, ConnectionEvent] => [1_000 + i * 4_000, retry(i + 1)]);
    assert.deepEqual(run([[0, connected(false)], [1_000, retry(1, 'the connection was lost')], ...retries, [36_000, connected(true)]]), [
      'info: connected: notifications for ana will appear here',
      'warn: notifications offline: the connection was lost; reconnecting…',
      'ok: back online after 35s offline',
    ]);
  });

  it('say once that the gateway cannot be reached before the first connection, then that it is connected', () => {
    assert.deepEqual(run([[0, retry(1)], [500, retry(2)], [2_000, retry(3)], [3_000, connected(false)]]), [
      'warn: cannot reach the notifications gateway at ws://localhost:8085 (connection refused); trying again until it answers…',
      'info: connected: notifications for ana will appear here',
    ]);
  });

  it('say it again when the gateway goes away a second time', () => {
    assert.deepEqual(run([[0, connected(false)], [1_000, retry(1)], [1_200, connected(true)], [5_000, retry(1, 'the gateway is draining')], [5_300, connected(true)]]), [
      'info: connected: notifications for ana will appear here',
      'warn: notifications offline: connection refused; reconnecting…',
      'ok: back online',
      'warn: notifications offline: the gateway is draining; reconnecting…',
      'ok: back online',
    ]);
  });
});
