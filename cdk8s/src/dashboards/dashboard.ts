/**
 * Chat4All's conventions for Grafana dashboards, on Grafana's own builders and types
 * (@grafana/grafana-foundation-sdk, generated from Grafana's schema): time series and stat panels
 * on the provisioned Prometheus data source, flowed left to right in the 24-column grid. Queries
 * are PromQL strings whose metric names a test checks against what the roles really export.
 */
import { DashboardBuilder, type Dashboard, type Panel, type RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, type Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type * as units from '@grafana/grafana-foundation-sdk/units';
import { histogramQuantile } from './promql.js';

/** UID of the provisioned Prometheus data source every panel queries. */
export const PROMETHEUS_UID = 'prometheus';

const PROMETHEUS = { type: 'prometheus', uid: PROMETHEUS_UID } as const;

/** A unit id from Grafana's catalogue (the SDK's `units` module), e.g. 'short', 's', 'ops', 'reqps'. */
export type Unit = Extract<(typeof units)[keyof typeof units], string>;

/** A PromQL query on the provisioned Prometheus. `legend` is the series name template, e.g. '{{pod}}'. @default '' (Grafana's own) */
export function promql(expr: string, legend = ''): DataqueryBuilder {
  return new DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend);
}

/**
 * The median and the 99th percentile of a histogram over 5 minutes, as series 'p50' and 'p99'; with
 * `by` labels, one pair per value of them, named by them ('upload ok p50').
 */
export function percentiles(histogram: string, by: readonly string[] = []): DataqueryBuilder[] {
  const legend = (p: string) => [...by.map((l) => `{{${l}}}`), p].join(' ');
  return [promql(histogramQuantile(0.5, histogram, by), legend('p50')), promql(histogramQuantile(0.99, histogram, by), legend('p99'))];
}

/** Grafana's refIds in query order: A, B, C, … */
function lettered(queries: readonly DataqueryBuilder[]): DataqueryBuilder[] {
  return queries.map((q, i) => q.refId(String.fromCharCode(65 + i)));
}

/** A time series panel, 12 columns by 8 rows, legend listed below, a tooltip with every series. */
export function timeseries(title: string, unit: Unit, ...queries: DataqueryBuilder[]): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .span(12)
    .height(8)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.None))
    .targets(lettered(queries));
}

/** A stat panel showing the last value in unit 'short', 8 columns by 5 rows. */
export function stat(title: string, ...queries: DataqueryBuilder[]): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit('short' satisfies Unit)
    .span(8)
    .height(5)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .targets(lettered(queries));
}

export interface DashboardOptions {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** In order; each is numbered (id 1, 2, …) and placed after the one before. */
  readonly panels: ReadonlyArray<TimeseriesPanelBuilder | StatPanelBuilder>;
  /** @default ['chat4all'] */
  readonly tags?: readonly string[];
}

/**
 * A read-only Chat4All dashboard in Grafana's JSON model: the last hour, refreshed every 10 s,
 * in the browser's time zone.
 */
export function chat4allDashboard(options: DashboardOptions): Dashboard {
  const builder = new DashboardBuilder(options.title)
    .uid(options.uid)
    .description(options.description)
    .tags([...(options.tags ?? ['chat4all'])])
    .readonly()
    .version(1)
    .refresh('10s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser');
  options.panels.forEach((panel, i) => builder.withPanel(panel.id(i + 1)));
  return builder.build();
}

/** One PromQL query of a dashboard, with where it is shown. */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly legend: string;
}

function isRow(panel: Panel | RowPanel): panel is RowPanel {
  return panel.type === 'row';
}

/** A dashboard's panels, those inside rows included, in order. */
function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => (isRow(p) ? p.panels : [p]));
}

function isPrometheusQuery(target: object): target is Dataquery {
  return 'expr' in target && typeof target.expr === 'string';
}

/** Every PromQL query of a dashboard with its dashboard and panel titles, in panel order. */
export function panelQueriesOf(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).filter(isPrometheusQuery).map((q) => ({
      dashboard: dashboard.title ?? '',
      panel: panel.title ?? '',
      refId: q.refId ?? '',
      expr: q.expr,
      legend: q.legendFormat ?? '',
    })),
  );
}

/** Every PromQL expression of a dashboard. */
export function queriesOf(dashboard: Dashboard): string[] {
  return panelQueriesOf(dashboard).map((q) => q.expr);
}
