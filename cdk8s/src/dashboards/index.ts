import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { type PanelQuery, panelQueriesOf } from './dashboard.js';
import { gatewayDashboard } from './gateway-dashboard.js';
import { operatorDashboard } from './operator-dashboard.js';
import { pipelineDashboard } from './pipeline-dashboard.js';

export { type DashboardOptions, type PanelQuery, type Unit, PROMETHEUS_UID, chat4allDashboard, panelQueriesOf, percentiles, promql, queriesOf, stat, timeseries } from './dashboard.js';
export { histogramQuantile, metricsOf } from './promql.js';
export { PENDING_METRICS } from './metrics-pending.js';

/** Chat4All's dashboards in Grafana's JSON model, by file name. */
export const DASHBOARDS: Readonly<Record<string, Dashboard>> = {
  'gateway.json': gatewayDashboard,
  'pipeline.json': pipelineDashboard,
  'operator.json': operatorDashboard,
};

/** Each dashboard's Grafana JSON, by file name, as provisioned into Grafana. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([file, dashboard]) => [file, `${JSON.stringify(dashboard, null, 2)}\n`]));
}

/**
 * Every PromQL query of every dashboard, with its file, dashboard title, panel title, refId and
 * legend: what a check against a real Prometheus runs, one query at a time.
 * @example dashboardQueries()[0] // { file: 'gateway.json', dashboard: 'Chat4All / Gateway', panel: 'Connections per pod', refId: 'A', expr: 'sum by (pod) (websocket_connections_active)', legend: '{{pod}}' }
 */
export function dashboardQueries(): Array<PanelQuery & { readonly file: string }> {
  return Object.entries(DASHBOARDS).flatMap(([file, dashboard]) => panelQueriesOf(dashboard).map((q) => ({ file, ...q })));
}
