import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { CONNECTION_ERROR_REASONS, GatewayMetrics } from '../src/metrics.js';

describe('gateway metrics', () => {
  it('export every known connection error reason at zero before the first one happens', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    let text = await registry.metrics();
    for (const reason of CONNECTION_ERROR_REASONS) assert.match(text, new RegExp(`^connection_errors_total\\{reason="${reason}"\\} 0$`, 'm'));
    metrics.connectionErrors.inc({ reason: 'rate_limited' });
    text = await registry.metrics();
    assert.match(text, /^connection_errors_total\{reason="rate_limited"\} 1$/m);
  });
});
