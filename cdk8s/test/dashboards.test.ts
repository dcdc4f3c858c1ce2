import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  PercentChangeColorMode,
  SortOrder,
  TooltipDisplayMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, type Panel, defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { PROMETHEUS_UID, dashboardFiles, dashboardQueries } from '../src/dashboards/index.js';

// What Grafana reads: the provisioned files, parsed back. The SDK types these only at compile time
// (and a panel's `options` not at all), so the checks below hold the JSON itself to the SDK's
// runtime catalogues: its schema version, its unit ids, its option enums, the 24-column grid.

const GRAFANA_UNITS = new Set<string>(Object.values(units).filter((v) => typeof v === 'string'));

/** Each panel type's enumerated options (dotted path) and the SDK enum its value must come from. */
const OPTION_ENUMS: Record<string, Record<string, Record<string, string>>> = {
  timeseries: { 'legend.displayMode': LegendDisplayMode, 'legend.placement': LegendPlacement, 'tooltip.mode': TooltipDisplayMode, 'tooltip.sort': SortOrder },
  stat: {
    graphMode: BigValueGraphMode,
    colorMode: BigValueColorMode,
    justifyMode: BigValueJustifyMode,
    textMode: BigValueTextMode,
    orientation: VizOrientation,
    percentChangeColorMode: PercentChangeColorMode,
  },
};

const files = Object.entries(dashboardFiles()).map(([file, text]) => [file, JSON.parse(text) as Dashboard] as const);
const panelsOf = (d: Dashboard) => (d.panels ?? []) as Panel[];
const queriesOf = (p: Panel) => (p.targets ?? []) as Dataquery[];
const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

/** Labels a query's result keeps: those of its `by (...)` clauses. */
const labelsKept = (expr: string) => new Set([...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())));

describe('the dashboards keep to the dashboard model of Grafana’s SDK', () => {
  it('are the three provisioned files, each with its own uid and title', () => {
    assert.deepEqual(files.map(([f]) => f).sort(), ['gateway.json', 'operator.json', 'pipeline.json']);
    assert.equal(new Set(files.map(([, d]) => d.uid)).size, files.length);
    assert.equal(new Set(files.map(([, d]) => d.title)).size, files.length);
  });

  for (const [file, dashboard] of files) {
    describe(file, () => {
      it('is the SDK’s schema version, read-only, with a uid Grafana accepts (at most 40 characters)', () => {
        assert.equal(dashboard.schemaVersion, defaultDashboard().schemaVersion);
        assert.equal(dashboard.editable, false);
        assert.match(dashboard.uid ?? '', /^[A-Za-z0-9_-]{1,40}$/);
      });

      it('has only time series and stat panels, each with a unit from Grafana’s catalogue', () => {
        for (const p of panelsOf(dashboard)) {
          assert.ok(p.type in OPTION_ENUMS, `${p.title}: panel type ${p.type}`);
          const unit = p.fieldConfig?.defaults?.unit;
          assert.ok(unit !== undefined && GRAFANA_UNITS.has(unit), `${p.title}: unit ${unit} is not one of Grafana’s`);
        }
      });

      it('sets every enumerated panel option to a value of the SDK’s enum', () => {
        for (const p of panelsOf(dashboard)) {
          for (const [path, values] of Object.entries(OPTION_ENUMS[p.type] ?? {})) {
            assert.ok(Object.values(values).includes(at(p.options, path) as string), `${p.title}: options.${path} = ${String(at(p.options, path))}`);
          }
        }
      });

      it('shows the legend of every time series whose queries name their series', () => {
        for (const p of panelsOf(dashboard).filter((p) => p.type === 'timeseries' && queriesOf(p).some((q) => q.legendFormat))) {
          assert.equal(at(p.options, 'legend.showLegend'), true, `${p.title}: legend hidden`);
        }
      });

      it('numbers its panels 1, 2, … and lays them out in the 24-column grid without overlap', () => {
        const panels = panelsOf(dashboard);
        assert.deepEqual(
          panels.map((p) => p.id),
          panels.map((_, i) => i + 1),
        );
        const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos! }));
        for (const b of boxes) assert.ok(b.w > 0 && b.h > 0 && b.x >= 0 && b.y >= 0 && b.x + b.w <= 24, `${b.title}: ${JSON.stringify(b)}`);
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) {
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert.ok(!overlap, `${a.title} overlaps ${b.title}`);
          }
        }
      });

      it('queries the provisioned Prometheus, refIds A, B, … per panel, legends naming only labels the query keeps', () => {
        for (const p of panelsOf(dashboard)) {
          assert.deepEqual(p.datasource, { type: 'prometheus', uid: PROMETHEUS_UID }, `${p.title}: panel data source`);
          const queries = queriesOf(p);
          assert.ok(queries.length > 0, `${p.title}: no query`);
          assert.deepEqual(
            queries.map((q) => q.refId),
            queries.map((_, i) => String.fromCharCode(65 + i)),
          );
          for (const q of queries) {
            assert.deepEqual(q.datasource, { type: 'prometheus', uid: PROMETHEUS_UID }, `${p.title}: query data source`);
            assert.ok(q.expr.trim().length > 0, `${p.title}: empty query`);
            const kept = labelsKept(q.expr);
            for (const [, label] of (q.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
              assert.ok(kept.has(label!), `${p.title}: legend ${q.legendFormat} names ${label}, which ${q.expr} drops`);
            }
          }
        }
      });
    });
  }
});

describe('dashboardQueries', () => {
  it('lists every query of every provisioned file with its dashboard and panel titles', () => {
    const expected = files.flatMap(([file, d]) =>
      panelsOf(d).flatMap((p) => queriesOf(p).map((q) => ({ file, dashboard: d.title, panel: p.title, refId: q.refId, expr: q.expr, legend: q.legendFormat ?? '' }))),
    );
    assert.deepEqual(dashboardQueries(), expected);
    assert.ok(expected.length >= 20, `only ${expected.length} queries`);
    assert.deepEqual(
      dashboardQueries().find((q) => q.panel === 'Connections per pod'),
      { file: 'gateway.json', dashboard: 'Chat4All / Gateway', panel: 'Connections per pod', refId: 'A', expr: 'sum by (pod) (websocket_connections_active)', legend: '{{pod}}' },
    );
  });
});
