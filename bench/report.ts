/**
 * Turns the latest result of each workload (bench/results/) into the plots of docs/performance/
 * and the tables of docs/performance.md (between its `results` markers).
 * Usage: bench/run.sh bench/report.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type BenchResult, type Row, latestResults } from './lib/report.js';
import { type Series, lineChart } from './lib/svg.js';

const DOC = 'docs/performance.md';
const IMAGES = 'docs/performance';
const results = latestResults();
mkdirSync(IMAGES, { recursive: true });

type Pt = [number, number];
const OURS = '#1f77b4';
const PEER = '#d62728';

function plots(): string[] {
  const written: string[] = [];
  const fan = results.get('fanout');
  if (fan) {
    const steps = fan.data.steps as Record<'ours' | 'peer', { offered: number; achieved: number; p50: number; p99: number }[]>;
    const series: Series[] = [];
    for (const [side, color] of [['ours', OURS], ['peer', PEER]] as const) {
      const s = steps[side] ?? [];
      if (s.length === 0) continue;
      series.push({ name: `${side} p99`, color, points: s.map((x): Pt => [x.offered, x.p99]) });
      series.push({ name: `${side} p50`, color, dashed: true, points: s.map((x): Pt => [x.offered, x.p50]) });
    }
    writeFileSync(`${IMAGES}/fanout-latency.svg`, lineChart({ title: 'Fan-out: publish-to-receipt latency against rate (one server process)', xLabel: 'offered deliveries per second', yLabel: 'latency, ms (log)', series, logY: true }));
    const thr: Series[] = (['ours', 'peer'] as const)
      .filter((side) => (steps[side] ?? []).length > 0)
      .map((side) => ({ name: `${side} achieved`, color: side === 'ours' ? OURS : PEER, points: steps[side]!.map((x): Pt => [x.offered, x.achieved]) }));
    writeFileSync(`${IMAGES}/fanout-throughput.svg`, lineChart({ title: 'Fan-out: deliveries achieved against offered', xLabel: 'offered deliveries per second', yLabel: 'deliveries per second received', series: thr }));
    written.push('fanout-latency.svg', 'fanout-throughput.svg');
  }
  const status = results.get('fanout-status');
  if (status) {
    const steps = status.data.steps as Record<'ours' | 'peer', { offered: number; p50: number; p99: number }[]>;
    const series: Series[] = [];
    for (const [side, color] of [['ours', OURS], ['peer', PEER]] as const) {
      const s = steps[side] ?? [];
      if (s.length === 0) continue;
      series.push({ name: `${side} p99`, color, points: s.map((x): Pt => [x.offered, x.p99]) });
      series.push({ name: `${side} p50`, color, dashed: true, points: s.map((x): Pt => [x.offered, x.p50]) });
    }
    writeFileSync(`${IMAGES}/fanout-status-latency.svg`, lineChart({ title: 'Fan-out without receipts (message_status): latency against rate', xLabel: 'offered deliveries per second', yLabel: 'latency, ms (log)', series, logY: true }));
    written.push('fanout-status-latency.svg');
  }
  const e2e = results.get('e2e');
  if (e2e) {
    const steps = e2e.data.steps as { rate: number; p50: number; p95: number; p99: number }[];
    const series: Series[] = [
      { name: 'p99', color: OURS, points: steps.map((s): Pt => [s.rate, s.p99]) },
      { name: 'p95', color: '#2ca02c', points: steps.map((s): Pt => [s.rate, s.p95]) },
      { name: 'p50', color: '#ff7f0e', dashed: true, points: steps.map((s): Pt => [s.rate, s.p50]) },
    ];
    writeFileSync(`${IMAGES}/e2e-latency.svg`, lineChart({ title: 'End to end (HTTP send to WebSocket receipt): latency against rate', xLabel: 'messages per second', yLabel: 'latency, ms (log)', series, logY: true }));
    written.push('e2e-latency.svg');
  }
  const api = results.get('api');
  if (api) {
    const steps = api.data.steps as { rate: number; acceptedPerSecond: number; p50: number; p99: number }[];
    const series: Series[] = [
      { name: 'p99 of the 202', color: OURS, points: steps.map((s): Pt => [s.acceptedPerSecond, s.p99]) },
      { name: 'p50', color: OURS, dashed: true, points: steps.map((s): Pt => [s.acceptedPerSecond, s.p50]) },
    ];
    writeFileSync(`${IMAGES}/api-latency.svg`, lineChart({ title: 'api: answer latency against accepted sends per second', xLabel: 'accepted sends per second (one api process)', yLabel: 'latency, ms (log)', series, logY: true }));
    written.push('api-latency.svg');
  }
  const conn = results.get('connections');
  if (conn) {
    const sides = conn.data.sides as Record<'ours' | 'peer', { ramp?: Pt[]; connected: number; rss: number; rssBaseline: number }>;
    const series: Series[] = [];
    for (const [side, color] of [['ours', OURS], ['peer', PEER]] as const) {
      const s = sides[side];
      if (!s?.ramp) continue;
      series.push({ name: `${side}, while connecting`, color, points: s.ramp.map(([c, rss]): Pt => [c, rss / 2 ** 20]) });
      series.push({ name: `${side}, after a full GC`, color, dashed: true, points: [[0, s.rssBaseline / 2 ** 20], [s.connected, s.rss / 2 ** 20]] });
    }
    writeFileSync(`${IMAGES}/memory-connections.svg`, lineChart({ title: 'Resident memory of one server process against idle connections', xLabel: 'connections', yLabel: 'RSS, MiB', series }));
    written.push('memory-connections.svg');
  }
  return written;
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 3 }));

function table(r: BenchResult): string {
  const peer = r.rows.some((x: Row) => x.peer !== null);
  const head = peer ? '| metric | unit | ours | peer | ours vs peer | target | met |\n|---|---|--:|--:|--:|---|---|' : '| metric | unit | ours | target | met |\n|---|---|--:|---|---|';
  const lines = r.rows.map((x) => {
    const met = x.met === undefined ? '' : x.met ? 'yes' : '**no**';
    return peer ? `| ${x.metric} | ${x.unit} | ${fmt(x.ours)} | ${fmt(x.peer)} | ${x.advantage === null ? '-' : `${fmt(x.advantage)}x`} | ${x.target ?? ''} | ${met} |` : `| ${x.metric} | ${x.unit} | ${fmt(x.ours)} | ${x.target ?? ''} | ${met} |`;
  });
  const m = r.machine;
  const params = Object.entries(r.parameters).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ');
  return [
    `### ${r.name}`,
    '',
    `${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.durationSeconds} s; ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, Node ${m.node}, chat4all ${r.versions.chat4all}; load average ${m.loadAverageStart.join(' ')} at the start, ${m.loadAverageEnd?.join(' ') ?? '?'} at the end. Parameters: ${params}.`,
    '',
    head,
    ...lines,
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

const written = plots();
const order = ['connections', 'fanout', 'fanout-status', 'e2e', 'api', 'reconnect'];
const tables = order.filter((n) => results.has(n)).map((n) => table(results.get(n)!));
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
