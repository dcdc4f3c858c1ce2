/**
 * Turns the latest result of each workload (bench/results/) into the plots of docs/performance/
 * and the tables of docs/performance.md (between its `results` markers).
 * Usage: bench/run.sh bench/report.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SIDES, type Side } from './lib/protocol.js';
import { type BenchResult, figure, latestResults, tableCells } from './lib/report.js';
import { type Series, lineChart } from './lib/svg.js';

const DOC = 'docs/performance.md';
const IMAGES = 'docs/performance';
const results = latestResults();
mkdirSync(IMAGES, { recursive: true });

type Pt = [number, number];
const COLORS: Record<Side, string> = { ours: '#1f77b4', socketio: '#d62728', centrifugo: '#2ca02c' };
const OURS = COLORS.ours;

/** The median of the values of `points` that share an x (the runs of one step). */
function medians(points: Pt[]): Pt[] {
  const byX = new Map<number, number[]>();
  for (const [x, y] of points) if (Number.isFinite(y)) byX.set(x, [...(byX.get(x) ?? []), y]);
  return [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, ys]): Pt => [x, figure(ys)!.median]);
}

interface FanoutStep {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
}

/** Latency (p99 solid, p50 dashed) against the offered rate, one colour per side; medians of the runs. */
function latencySeries(steps: Partial<Record<Side, FanoutStep[]>>): Series[] {
  const series: Series[] = [];
  for (const side of SIDES) {
    const s = steps[side] ?? [];
    if (s.length === 0) continue;
    series.push({ name: `${side} p99`, color: COLORS[side], points: medians(s.map((x): Pt => [x.offered, x.p99])) });
    series.push({ name: `${side} p50`, color: COLORS[side], dashed: true, points: medians(s.map((x): Pt => [x.offered, x.p50])) });
  }
  return series;
}

function plots(): string[] {
  const written: string[] = [];
  const fan = results.get('fanout');
  if (fan) {
    const steps = fan.data.steps as Partial<Record<Side, FanoutStep[]>>;
    writeFileSync(`${IMAGES}/fanout-latency.svg`, lineChart({ title: 'Fan-out: publish-to-receipt latency against rate (one server process, median of the runs)', xLabel: 'offered deliveries per second', yLabel: 'latency, ms (log)', series: latencySeries(steps), logY: true }));
    const thr: Series[] = SIDES.filter((side) => (steps[side] ?? []).length > 0).map((side) => ({ name: `${side} achieved`, color: COLORS[side], points: medians(steps[side]!.map((x): Pt => [x.offered, x.achieved])) }));
    writeFileSync(`${IMAGES}/fanout-throughput.svg`, lineChart({ title: 'Fan-out: deliveries achieved against offered (median of the runs)', xLabel: 'offered deliveries per second', yLabel: 'deliveries per second received', series: thr }));
    written.push('fanout-latency.svg', 'fanout-throughput.svg');
  }
  const status = results.get('fanout-status');
  if (status) {
    const steps = status.data.steps as Partial<Record<Side, FanoutStep[]>>;
    writeFileSync(`${IMAGES}/fanout-status-latency.svg`, lineChart({ title: 'Fan-out without receipts (message_status): latency against rate', xLabel: 'offered deliveries per second', yLabel: 'latency, ms (log)', series: latencySeries(steps), logY: true }));
    written.push('fanout-status-latency.svg');
  }
  const e2e = results.get('e2e');
  if (e2e) {
    const steps = e2e.data.steps as { rate: number; p50: number; p95: number; p99: number }[];
    const series: Series[] = [
      { name: 'p99', color: OURS, points: medians(steps.map((s): Pt => [s.rate, s.p99])) },
      { name: 'p95', color: '#9467bd', points: medians(steps.map((s): Pt => [s.rate, s.p95])) },
      { name: 'p50', color: '#ff7f0e', dashed: true, points: medians(steps.map((s): Pt => [s.rate, s.p50])) },
    ];
    writeFileSync(`${IMAGES}/e2e-latency.svg`, lineChart({ title: 'End to end (HTTP send to WebSocket receipt): latency against rate', xLabel: 'messages per second', yLabel: 'latency, ms (log)', series, logY: true }));
    written.push('e2e-latency.svg');
  }
  const api = results.get('api');
  if (api) {
    const steps = api.data.steps as { rate: number; p50: number; p99: number }[];
    const series: Series[] = [
      { name: 'p99 of the 202', color: OURS, points: medians(steps.map((s): Pt => [s.rate, s.p99])) },
      { name: 'p50', color: OURS, dashed: true, points: medians(steps.map((s): Pt => [s.rate, s.p50])) },
    ];
    writeFileSync(`${IMAGES}/api-latency.svg`, lineChart({ title: 'api: answer latency against offered sends per second (median of the runs)', xLabel: 'offered sends per second (one api process)', yLabel: 'latency, ms (log)', series, logY: true }));
    written.push('api-latency.svg');
  }
  const conn = results.get('connections');
  if (conn) {
    const sides = conn.data.sides as Partial<Record<Side, { ramp?: Pt[]; connected: number; rss: number; rssBaseline: number }[]>>;
    const series: Series[] = [];
    for (const side of SIDES) {
      const s = sides[side]?.[0];
      if (!s?.ramp) continue;
      series.push({ name: `${side}, while connecting`, color: COLORS[side], points: s.ramp.map(([c, rss]): Pt => [c, rss / 2 ** 20]) });
      series.push({ name: `${side}, after a full GC`, color: COLORS[side], dashed: true, points: [[0, s.rssBaseline / 2 ** 20], [s.connected, s.rss / 2 ** 20]] });
    }
    writeFileSync(`${IMAGES}/memory-connections.svg`, lineChart({ title: 'Resident memory of one server process against idle connections (first run)', xLabel: 'connections', yLabel: 'RSS, MiB', series }));
    written.push('memory-connections.svg');
  }
  return written;
}

function table(r: BenchResult): string {
  const { head, body, numeric } = tableCells(r.rows);
  const align = head.map((_, i) => (i >= 2 && i < 2 + numeric ? '--:' : '---'));
  const cell = (c: string, i: number) => (i === head.length - 1 && c === 'NO' ? '**no**' : c);
  const m = r.machine;
  const params = Object.entries(r.parameters).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ');
  const load = r.load ? ` Load through its ${r.load.steps} measured steps: load average up to ${r.load.loadAverageMax}, other work up to ${r.load.otherCpuPercentMax}% of a core, ${r.load.busy} step(s) marked busy.` : '';
  return [
    `### ${r.name}`,
    '',
    `${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.durationSeconds} s; ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, Node ${m.node}, chat4all ${r.versions.chat4all}; load average ${m.loadAverageStart.join(' ')} at the start, ${m.loadAverageEnd?.join(' ') ?? '?'} at the end.${load} Parameters: ${params}.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...body.map((b) => `| ${b.map(cell).join(' | ')} |`),
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

const written = plots();
const order = ['connections', 'fanout', 'fanout-status', 'e2e', 'api', 'reconnect'];
// Then any other (a workload measured with Centrifugo at another GOMAXPROCS), by name.
const names = [...order.filter((n) => results.has(n)), ...[...results.keys()].filter((n) => !order.includes(n)).sort()];
const tables = names.map((n) => table(results.get(n)!));
const BEGIN = '<!-- results:begin (written by `make bench-report`) -->';
const END = '<!-- results:end -->';
if (existsSync(DOC)) {
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) {
    writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + '\n\n' + tables.join('\n') + '\n' + doc.slice(b));
    console.log(`updated the tables of ${DOC}`);
  }
}
console.log(tables.join('\n'));
console.log(`plots: ${written.map((w) => `${IMAGES}/${w}`).join(', ')}`);
