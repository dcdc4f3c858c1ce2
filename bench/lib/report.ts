import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MachineInfo, machineInfo, versions } from './machine.js';
import { round } from './stats.js';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** One row of a comparison: a figure for ours, the peer's, their ratio and the target. */
export interface Row {
  metric: string;
  unit: string;
  ours: number | null;
  peer: number | null;
  /** ours / peer, or for figures where less is better peer / ours: always "how many times better ours is". */
  advantage: number | null;
  target?: string;
  met?: boolean;
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
  /** Series for plots and anything else the workload measured. */
  data: Record<string, unknown>;
  notes: string[];
}

/** Builds a row; `lowerIsBetter` flips the advantage so above 1 always favours ours. */
export function row(metric: string, unit: string, ours: number | null, peer: number | null, opts: { lowerIsBetter?: boolean; target?: string; met?: boolean } = {}): Row {
  let advantage: number | null = null;
  if (ours !== null && peer !== null && Number.isFinite(ours) && Number.isFinite(peer) && ours > 0 && peer > 0) advantage = round(opts.lowerIsBetter ? peer / ours : ours / peer);
  return { metric, unit, ours: ours === null ? null : round(ours), peer: peer === null ? null : round(peer), advantage, ...(opts.target ? { target: opts.target } : {}), ...(opts.met === undefined ? {} : { met: opts.met }) };
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 3 }));

/** The rows as a plain-text table. */
export function formatTable(title: string, rows: Row[]): string {
  const head = ['metric', 'unit', 'ours', 'peer', 'ours vs peer', 'target', 'met'];
  const body = rows.map((r) => [r.metric, r.unit, fmt(r.ours), fmt(r.peer), r.advantage === null ? '-' : `${fmt(r.advantage)}x`, r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [`\n${title}`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Collects a run's parameters and figures, prints the table and writes the JSON file. */
export class ResultWriter {
  private readonly started = Date.now();
  private readonly machine = machineInfo();
  readonly notes: string[] = [];
  readonly data: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    readonly parameters: Record<string, unknown>,
  ) {}

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
      data: this.data,
      notes: this.notes,
    };
    console.log(formatTable(`${this.name} (${date}, load average ${result.machine.loadAverageStart.join(' ')} -> ${result.machine.loadAverageEnd!.join(' ')}, ${result.machine.cpus} cpus)`, rows));
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${this.name}-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
    return file;
  }
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
    out.set(r.name, r);
  }
  return out;
}
