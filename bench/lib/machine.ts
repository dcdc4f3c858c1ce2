import { execFileSync } from 'node:child_process';
import { type Dirent, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileLimit } from './params.js';
import { CLK_TCK, procStat } from './procs.js';

const require = createRequire(import.meta.url);

/** What the figures were measured on: they only mean something beside this. */
export interface MachineInfo {
  hostname: string;
  os: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  openFileLimit: number;
  /** 1, 5 and 15 minute load averages at the start of the run: the machine is shared (each step's load is in the result's `load`). */
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    openFileLimit: fileLimit(),
    loadAverageStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
}

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Versions of the code under test and of the libraries both sides are built on. */
export function versions(): Record<string, string> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'services', 'bench', ':!bench/results'], { encoding: 'utf8' }).trim();
    if (dirty) commit += '+changes';
  } catch {
    // not a git checkout
  }
  const out: Record<string, string> = { chat4all: commit };
  for (const name of ['ws', 'ioredis', 'socket.io', 'engine.io', '@socket.io/redis-adapter', '@socket.io/redis-emitter', 'jsonwebtoken']) out[name] = packageVersion(name);
  return out;
}

/** A step is marked busy when work outside the benchmark used more than this share of a core. */
export const BUSY_PERCENT = 25;

/** The load a measured step ran under. */
export interface StepLoad {
  /** The 1-minute load average at the step's end. */
  loadAverage: number;
  /** CPU used by processes that are not the benchmark's (its children, its own servers), % of one core. */
  otherCpuPercent: number;
  busy: boolean;
}

/**
 * Busy jiffies of the whole machine (every CPU), from /proc/stat: user, nice, system and steal
 * (another guest on the host). Interrupt and softirq time is left out: on loopback it is the
 * benchmark's own packets, which no process is charged for.
 */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0]! + f[1]! + f[2]! + f[7]!;
}

/** kthreadd: its children are the kernel's own threads (network, memory, block work for everyone). */
const KTHREADD = 2;

/** Every process's parent and CPU jiffies, from /proc. */
function processes(): Map<number, { ppid: number; cpu: number }> {
  const out = new Map<number, { ppid: number; cpu: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, ticks } = procStat(Number(name));
      out.set(Number(name), { ppid, cpu: ticks });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The pids in the pid files under `dir` (the benchmarks' own Redis, Kafka and Cassandra). */
function pidFiles(dir: string, depth = 4): number[] {
  const out: number[] = [];
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory() && depth > 0) out.push(...pidFiles(join(dir, e.name), depth - 1));
    else if (e.isFile() && e.name.endsWith('.pid')) {
      const pid = Number(readFileSync(join(dir, e.name), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) out.push(pid);
    }
  }
  return out;
}

/**
 * Watches the machine through one measured step: what the benchmark's own processes (this one,
 * its children, the servers of BENCH_SERVICES_STATE, and their children) and the kernel's threads
 * used is taken from what every CPU did outside interrupts; the rest is other work, and above
 * BUSY_PERCENT of a core marks the step busy.
 */
export class LoadWatch {
  private readonly started = Date.now();
  private readonly busy0 = machineBusy();
  private readonly procs0 = processes();

  static start(): LoadWatch {
    return new LoadWatch();
  }

  stop(): StepLoad {
    const busy = machineBusy() - this.busy0;
    const procs = processes();
    const roots = new Set([process.pid, ...pidFiles(join(process.env.BENCH_SERVICES_STATE || resolve('.run/bench'), 'services'))]);
    const children = new Map<number, number[]>();
    for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const mine = new Set<number>();
    const visit = (pid: number) => {
      if (mine.has(pid)) return;
      mine.add(pid);
      for (const c of children.get(pid) ?? []) visit(c);
    };
    for (const r of roots) visit(r);
    // The kernel's threads work for whoever made the packets and pages: not counted as other work.
    for (const [pid, p] of procs) if (pid === KTHREADD || p.ppid === KTHREADD) mine.add(pid);
    let own = 0;
    for (const pid of mine) {
      const p = procs.get(pid);
      if (p) own += p.cpu - (this.procs0.get(pid)?.cpu ?? 0);
    }
    const seconds = (Date.now() - this.started) / 1000;
    const otherCpuPercent = seconds > 0 ? Math.max(0, ((busy - own) / CLK_TCK / seconds) * 100) : 0;
    const loadAverage = Number(os.loadavg()[0]!.toFixed(2));
    return { loadAverage, otherCpuPercent: Number(otherCpuPercent.toFixed(1)), busy: otherCpuPercent > BUSY_PERCENT };
  }
}
