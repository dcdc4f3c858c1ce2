import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileLimit } from './params.js';

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
  /** 1, 5 and 15 minute load averages at the start of the run: the machine is shared. */
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
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'services', 'bench'], { encoding: 'utf8' }).trim();
    if (dirty) commit += '+changes';
  } catch {
    // not a git checkout
  }
  const out: Record<string, string> = { chat4all: commit };
  for (const name of ['ws', 'ioredis', 'socket.io', 'engine.io', '@socket.io/redis-adapter', '@socket.io/redis-emitter', 'jsonwebtoken']) out[name] = packageVersion(name);
  return out;
}
