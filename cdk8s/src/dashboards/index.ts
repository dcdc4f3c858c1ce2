import { type DashboardSpec, renderDashboard } from './dashboard.js';
import { gatewayDashboard } from './gateway-dashboard.js';
import { operatorDashboard } from './operator-dashboard.js';
import { pipelineDashboard } from './pipeline-dashboard.js';

export { type DashboardSpec, type PanelSpec, type Query, PROMETHEUS_UID, queriesOf, renderDashboard } from './dashboard.js';
export { metricsOf } from './promql.js';
export { PENDING_METRICS } from './metrics-pending.js';

/** Chat4All's dashboards, by file name. */
export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = {
  'gateway.json': gatewayDashboard,
  'pipeline.json': pipelineDashboard,
  'operator.json': operatorDashboard,
};

/** Each dashboard's Grafana JSON, by file name, as provisioned into Grafana. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([file, spec]) => [file, `${JSON.stringify(renderDashboard(spec), null, 2)}\n`]));
}
