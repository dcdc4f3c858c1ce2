import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramQuantile, metricsOf } from '../src/dashboards/promql.js';

describe('metricsOf', () => {
  it('finds the metric names of a query, not its functions, labels or durations', () => {
    assert.deepEqual(metricsOf('histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{role="gateway",le!="+Inf"}[5m])))'), ['x_seconds_bucket']);
    assert.deepEqual(metricsOf('sum by (pod) (websocket_connections_active)'), ['websocket_connections_active']);
    assert.deepEqual(metricsOf('sum(rate(a_total[1m])) / on (pod) group_left sum(b_total offset 5m)'), ['a_total', 'b_total']);
    assert.deepEqual(metricsOf('max without (instance) (up{job="x"}) > bool 0'), ['up']);
  });
});

describe('histogramQuantile', () => {
  it('reads the histogram’s buckets over 5 minutes, summed by le', () => {
    const expr = histogramQuantile(0.99, 'x_seconds');
    assert.equal(expr, 'histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[5m])))');
    assert.deepEqual(metricsOf(expr), ['x_seconds_bucket']);
  });

  it('keeps one result per value of the labels it is given', () => {
    const expr = histogramQuantile(0.5, 'x_seconds', ['direction', 'result']);
    assert.equal(expr, 'histogram_quantile(0.5, sum by (le, direction, result) (rate(x_seconds_bucket[5m])))');
    assert.deepEqual(metricsOf(expr), ['x_seconds_bucket']);
  });
});
