import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { harness } from './harness.js';

describe('request logs', () => {
  it('are one line per request at debug, and nothing at info', async () => {
    for (const level of ['info', 'debug'] as const) {
      const lines: string[] = [];
      const h = await harness({ logger: pino({ level }, { write: (line: string) => void lines.push(line) }) });
      const r = await h.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(r.statusCode, 200);
      await h.close();
      const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; req?: { method: string; url: string }; res?: { statusCode: number } });
      if (level === 'info') {
        assert.deepEqual(records, [], 'nothing per request at info');
      } else {
        assert.deepEqual(
          records.map((r) => [r.msg, r.level, r.req?.method, r.req?.url, r.res?.statusCode]),
          [['request completed', 20, 'GET', '/openapi.json', 200]],
        );
      }
    }
  });
});
