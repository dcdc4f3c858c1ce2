/**
 * A small typed builder for Grafana dashboards (schemaVersion 39 JSON): time series and stat
 * panels on the Prometheus data source, laid out two per row. Queries are PromQL strings whose
 * metric names a test checks against what the roles really export.
 */

/** UID of the provisioned Prometheus data source every panel queries. */
export const PROMETHEUS_UID = 'prometheus';

export interface Query {
  /** PromQL. */
  readonly expr: string;
  /** Series name template, e.g. '{{pod}}'. @default '' (Grafana's own) */
  readonly legend?: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  /** Grafana unit: 'short', 's', 'reqps', 'ops', 'percentunit'. @default 'short' */
  readonly unit?: string;
  readonly queries: readonly Query[];
  /** @default 'timeseries' */
  readonly type?: 'timeseries' | 'stat';
  /** Width in grid columns (of 24). @default 12 */
  readonly width?: number;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly panels: readonly PanelSpec[];
  /** @default ['chat4all'] */
  readonly tags?: readonly string[];
}

/** The Grafana JSON model of a dashboard. */
export function renderDashboard(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = spec.panels.map((p, i) => {
    const w = p.width ?? 12;
    const h = p.type === 'stat' ? 5 : 8;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    const gridPos = { x, y, w, h };
    x += w;
    return {
      id: i + 1,
      type: p.type ?? 'timeseries',
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource: { type: 'prometheus', uid: PROMETHEUS_UID },
      gridPos,
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: 'prometheus', uid: PROMETHEUS_UID },
        expr: q.expr,
        legendFormat: q.legend ?? '',
      })),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...(spec.tags ?? ['chat4all'])],
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    panels,
  };
}

/** Every PromQL expression of a dashboard. */
export function queriesOf(spec: DashboardSpec): string[] {
  return spec.panels.flatMap((p) => p.queries.map((q) => q.expr));
}
