/**
 * Prometheus in the kind cluster after the other cluster tests' traffic: it scrapes every role and
 * the operator, and every query of every dashboard returns series (Grafana itself cannot run
 * here; the dashboards are only as good as their queries).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@chat4all/core/testing';
import { dashboardQueries } from '../../src/dashboards/index.js';
import { portForward } from './support.js';

describe('Prometheus in the cluster', { timeout: 600_000 }, () => {
  let prometheus: { url: string; close: () => void };
  before(async () => {
    prometheus = await portForward('chat4all-prometheus', 9090);
  });
  after(() => prometheus?.close());

  async function query(expr: string): Promise<unknown[]> {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as any;
    assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
    return body.data.result as unknown[];
  }

  it('scrapes the api, the worker, the gateways and the operator', async () => {
    for (const role of ['api', 'worker', 'gateway', 'operator']) {
      const up = await waitFor(async () => ((await query(`up{role="${role}"} == 1`)).length > 0 ? true : undefined), `${role} up`, 120_000, 5000);
      assert.ok(up);
    }
  });

  it('answers every dashboard query with series', async () => {
    const empty: string[] = [];
    for (const q of dashboardQueries()) {
      const result = await query(q.expr);
      if (result.length === 0) empty.push(`${q.file} / ${q.panel}: ${q.expr}`);
    }
    assert.deepEqual(empty, []);
  });
});
