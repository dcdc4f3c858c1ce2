import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { WorkerMetrics } from '../src/metrics.js';

describe('worker metrics', () => {
  it('export the dead letters of each topic at zero until a record is put aside', async () => {
    const registry = new Registry();
    const metrics = new WorkerMetrics(registry, () => []);
    let text = await registry.metrics();
    for (const topic of ['messages', 'receipts']) {
      for (const code of ['invalid', 'internal']) assert.match(text, new RegExp(`^worker_dead_letter_total\\{topic="${topic}",code="${code}"\\} 0$`, 'm'));
    }
    metrics.deadLettered('messages', 'invalid');
    text = await registry.metrics();
    assert.match(text, /^worker_dead_letter_total\{topic="messages",code="invalid"\} 1$/m);
  });
});
