import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSY_PERCENT, type MachineInfo, type StepLoad, machineInfo, versions } from './machine.js';
import { PEERS, type Peer, SIDES, type Side } from './protocol.js';
import { round } from './stats.js';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** A figure over the runs of a workload: its median and its spread (lowest and highest run). */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Runs it was measured in. */
  runs: number;
}

/** A figure from the values of each run (nulls and NaNs skipped); null when there are none. */
export function figure(samples: readonly (number | null | undefined)[]): Figure | null {
  const xs = samples.filter((x): x is number => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length / 2;
  const median = xs.length % 2 ? xs[Math.floor(mid)]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { median: round(median), min: round(xs[0]!), max: round(xs[xs.length - 1]!), runs: xs.length };
}

/** One row of a comparison: each side's figure, how many times better ours is than each peer, the target. */
export interface Row {
  metric: string;
  unit: string;
  values: Partial<Record<Side, Figure | null>>;
  /**
   * Ours against each peer, from the medians: ours / peer, or peer / ours where less is better, so
   * above 1 always favours ours.
   */
  ratios: Partial<Record<Peer, number | null>>;
  target?: string;
  met?: boolean;
}

export interface RowOptions {
  lowerIsBetter?: boolean;
  target?: string;
  /** Whether ours meets the target, judged on its median. */
  met?: (ours: number) => boolean;
}

/** Builds a row from each side's value per run (or a single value); ratios are of the medians. */
export function row(metric: string, unit: string, perSide: Partial<Record<Side, readonly (number | null | undefined)[] | number | null | undefined>>, opts: RowOptions = {}): Row {
  const values: Partial<Record<Side, Figure | null>> = {};
  for (const side of SIDES) {
    const v = perSide[side];
    if (v === undefined) continue;
    values[side] = figure(Array.isArray(v) ? v : [v as number | null]);
  }
  const ours = values.ours?.median;
  const ratios: Partial<Record<Peer, number | null>> = {};
  for (const peer of PEERS) {
    if (!(peer in values)) continue;
    const theirs = values[peer]?.median;
    const ratio = ours !== undefined && theirs !== undefined && ours > 0 && theirs > 0 ? (opts.lowerIsBetter ? theirs / ours : ours / theirs) : NaN;
    ratios[peer] = Number.isFinite(ratio) ? round(ratio) : null;
  }
  return { metric, unit, values, ratios, ...(opts.target ? { target: opts.target } : {}), ...(opts.met && 'ours' in values ? { met: ours !== undefined && opts.met(ours) } : {}) };
}

const num = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 3 }));

/** A figure as text: the median, and the spread when the runs differ. */
export function formatFigure(f: Figure | null | undefined): string {
  if (!f) return '-';
  return f.runs > 1 && f.min !== f.max ? `${num(f.median)} (${num(f.min)}-${num(f.max)})` : num(f.median);
}

/** The sides and peers that have a column in `rows`. */
export function columns(rows: readonly Row[]): { sides: Side[]; peers: Peer[] } {
  const sides = SIDES.filter((s) => rows.some((r) => s in r.values));
  return { sides, peers: PEERS.filter((p) => sides.includes(p) && sides.includes('ours')) };
}

/** The header and cells of a table of `rows`: one column per side, one ratio per peer. */
export function tableCells(rows: readonly Row[]): { head: string[]; body: string[][]; numeric: number } {
  const { sides, peers } = columns(rows);
  const head = ['metric', 'unit', ...sides, ...peers.map((p) => `ours vs ${p}`), 'target', 'met'];
  const body = rows.map((r) => [r.metric, r.unit, ...sides.map((s) => formatFigure(r.values[s])), ...peers.map((p) => (r.ratios[p] == null ? '-' : `${num(r.ratios[p])}x`)), r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  return { head, body, numeric: sides.length + peers.length };
}

/** The rows as a plain-text table. */
export function formatTable(title: string, rows: Row[]): string {
  const { head, body, numeric } = tableCells(rows);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i < 2 + numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [`\n${title}`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The file one run writes: bench/results/<name>-<date>.json. */
export interface BenchResult {
  name: string;
  date: string;
  durationSeconds: number;
  parameters: Record<string, unknown>;
  machine: MachineInfo;
  versions: Record<string, string>;
  rows: Row[];
  /** The load on the machine during each measured step, and how many were marked busy. */
  load?: { steps: number; busy: number; loadAverageMax: number; otherCpuPercentMax: number };
  /** Series for plots and anything else the workload measured. */
  data: Record<string, unknown>;
  notes: string[];
}

/** Collects a run's parameters and figures, prints the table and writes the JSON file. */
export class ResultWriter {
  private readonly started = Date.now();
  private readonly machine = machineInfo();
  readonly notes: string[] = [];
  readonly data: Record<string, unknown> = {};
  private readonly loads: StepLoad[] = [];

  constructor(
    readonly name: string,
    readonly parameters: Record<string, unknown>,
  ) {}

  /** Records the load a measured step ran under (see LoadWatch); returns it. */
  load(l: StepLoad): StepLoad {
    this.loads.push(l);
    if (l.busy) console.log(`bench: this step ran while other work used ${l.otherCpuPercent.toFixed(0)}% of a core (load average ${l.loadAverage}): marked busy`);
    return l;
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }

  /** Prints the table and writes bench/results/<name>-<date>.json; returns the file's path. */
  finish(rows: Row[]): string {
    const date = new Date(this.started).toISOString();
    const result: BenchResult = {
      name: this.name,
      date,
      durationSeconds: Math.round((Date.now() - this.started) / 1000),
      parameters: this.parameters,
      machine: { ...this.machine, loadAverageEnd: os.loadavg().map((v) => Number(v.toFixed(2))) },
      versions: versions(),
      rows,
      ...(this.loads.length
        ? { load: { steps: this.loads.length, busy: this.loads.filter((l) => l.busy).length, loadAverageMax: Math.max(...this.loads.map((l) => l.loadAverage)), otherCpuPercentMax: round(Math.max(...this.loads.map((l) => l.otherCpuPercent))) } }
        : {}),
      data: this.data,
      notes: this.notes,
    };
    if (result.load?.busy) this.note(`${result.load.busy} of ${result.load.steps} measured steps ran while other work used more than ${BUSY_PERCENT}% of a core (marked busy in data)`);
    result.notes = this.notes;
    console.log(formatTable(`${this.name} (${date}, load average ${result.machine.loadAverageStart.join(' ')} -> ${result.machine.loadAverageEnd!.join(' ')}, ${result.machine.cpus} cpus)`, rows));
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${this.name}-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
    return file;
  }
}

interface TwoSidedRow {
  metric: string;
  unit: string;
  ours: number | null;
  peer: number | null;
  advantage: number | null;
  target?: string;
  met?: boolean;
}

/**
 * A result of the earlier two-sided format (one run; each row's `ours` and `peer`, the peer being
 * Socket.IO; steps and sides keyed `peer`) in today's shape, so older workloads' tables and plots
 * still show until they are measured again.
 */
function fromTwoSided(r: BenchResult): BenchResult {
  if (r.rows.every((x) => 'values' in x)) return r;
  const one = (v: number | null): Figure | null => (v === null ? null : { median: v, min: v, max: v, runs: 1 });
  const rows = (r.rows as unknown as TwoSidedRow[]).map((x): Row => ({
    metric: x.metric,
    unit: x.unit,
    values: x.peer === null ? { ours: one(x.ours) } : { ours: one(x.ours), socketio: one(x.peer) },
    ratios: x.peer === null ? {} : { socketio: x.advantage },
    ...(x.target ? { target: x.target } : {}),
    ...(x.met === undefined ? {} : { met: x.met }),
  }));
  const data: Record<string, unknown> = { ...r.data };
  for (const key of ['steps', 'sides']) {
    const v = data[key] as Record<string, unknown> | undefined;
    if (v && typeof v === 'object' && !Array.isArray(v) && 'peer' in v) {
      const { peer, ...rest } = v;
      // One run: each side's single result as a list of one, as the workloads write them now.
      data[key] = key === 'sides' ? Object.fromEntries(Object.entries({ ...rest, socketio: peer }).map(([k, x]) => [k, [x]])) : { ...rest, socketio: peer };
    }
  }
  const peer = (r.rows as unknown as TwoSidedRow[]).some((x) => x.peer !== null);
  return { ...r, rows, data, notes: [...r.notes, `measured before runs were repeated (one run)${peer ? ' and before Centrifugo was a side: ours and Socket.IO ("the peer")' : ''}`] };
}

/** The newest result file of each workload under bench/results/. */
export function latestResults(): Map<string, BenchResult> {
  const out = new Map<string, BenchResult>();
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const r = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchResult;
    out.set(r.name, fromTwoSided(r));
  }
  return out;
}
