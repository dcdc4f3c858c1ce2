import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from './ipc.js';
import type { ProcessGroup } from './procs.js';
import type { FinalReport, LoadCommand, LoadReport, OpenReply, Target } from './protocol.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'loadgen-worker.ts');

export interface OpenSpec {
  target: Target;
  prefix: string;
  users: number;
  /** Registered users (ids and usernames) to connect as, instead of ids made from `prefix`. */
  named?: { userId: string; username: string }[];
  devices: number;
  addresses: string[];
  /** Handshakes in flight at once, over all workers. @default 256 */
  concurrency?: number;
  reconnect?: boolean;
  /** @default 1000 */
  reconnectJitterMs?: number;
}

export interface OpenResult {
  connected: number;
  seconds: number;
  refusals: Record<string, number>;
}

/** Merged reports of all workers. */
export interface MergedReport extends Omit<LoadReport, 'refusals'> {
  refusals: Record<string, number>;
}

function mergeCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/**
 * The load generator: `workers` processes of lib/loadgen-worker.ts, each holding a share of the
 * users (all devices of a user in the same process), so no process nears its file-descriptor limit.
 */
export class LoadGenerator {
  private shares: { firstUser: number; users: number }[] = [];

  private constructor(private readonly workers: IpcClient<LoadCommand>[]) {}

  static start(group: ProcessGroup, name: string, workers: number): LoadGenerator {
    return new LoadGenerator(Array.from({ length: workers }, (_, i) => new IpcClient<LoadCommand>(group.fork(`${name}-${i}`, WORKER))));
  }

  get pids(): number[] {
    return this.workers.map((w) => w.proc.pid);
  }

  /** Opens every connection; resolves when all are authenticated. */
  async open(spec: OpenSpec): Promise<OpenResult> {
    const n = this.workers.length;
    const per = Math.ceil(spec.users / n);
    this.shares = this.workers.map((_, i) => ({ firstUser: i * per, users: Math.max(0, Math.min(per, spec.users - i * per)) }));
    const concurrency = Math.max(1, Math.ceil((spec.concurrency ?? 256) / n));
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        w.call<OpenReply>({
          op: 'open',
          target: spec.target,
          prefix: spec.prefix,
          ...this.shares[i]!,
          ...(spec.named ? { named: spec.named } : {}),
          devices: spec.devices,
          addresses: spec.addresses,
          concurrency,
          reconnect: spec.reconnect ?? false,
          reconnectJitterMs: spec.reconnectJitterMs ?? 1000,
        }),
      ),
    );
    const first = Math.min(...replies.map((r) => r.firstAt));
    const last = Math.max(...replies.map((r) => r.lastAt));
    return { connected: replies.reduce((s, r) => s + r.connected, 0), seconds: (last - first) / 1000, refusals: replies.reduce((acc, r) => mergeCounts(acc, r.refusals), {}) };
  }

  async reset(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ op: 'reset' })));
  }

  async report(): Promise<MergedReport> {
    const rs = await Promise.all(this.workers.map((w) => w.call<LoadReport>({ op: 'report' })));
    const nonZero = (xs: number[]) => xs.filter((x) => x > 0);
    return {
      received: rs.reduce((s, r) => s + r.received, 0),
      latencies: rs.flatMap((r) => r.latencies),
      firstAt: Math.min(...nonZero(rs.map((r) => r.firstAt)), Infinity),
      lastAt: Math.max(0, ...rs.map((r) => r.lastAt)),
      connected: rs.reduce((s, r) => s + r.connected, 0),
      lastConnectedAt: Math.max(0, ...rs.map((r) => r.lastConnectedAt)),
      closes: rs.reduce((s, r) => s + r.closes, 0),
      refusals: rs.reduce((acc, r) => mergeCounts(acc, r.refusals), {}),
      caughtUp: rs.reduce((s, r) => s + r.caughtUp, 0),
      lastCaughtUpAt: Math.max(0, ...rs.map((r) => r.lastCaughtUpAt)),
    };
  }

  /** Per-user sequence numbers reached at a moment (from the publisher): catch-up is measured against them. */
  async marks(seqs: number[]): Promise<void> {
    await Promise.all(this.workers.map((w, i) => w.call({ op: 'marks', marks: seqs.slice(this.shares[i]!.firstUser, this.shares[i]!.firstUser + this.shares[i]!.users) })));
  }

  async final(seqs: number[]): Promise<FinalReport> {
    const rs = await Promise.all(this.workers.map((w, i) => w.call<FinalReport>({ op: 'final', finals: seqs.slice(this.shares[i]!.firstUser, this.shares[i]!.firstUser + this.shares[i]!.users) })));
    return { lost: rs.reduce((s, r) => s + r.lost, 0), duplicates: rs.reduce((s, r) => s + r.duplicates, 0), devices: rs.reduce((s, r) => s + r.devices, 0) };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ op: 'close' }).catch(() => undefined)));
    await Promise.all(this.workers.map((w) => w.proc.stop('SIGTERM', 3000)));
  }
}
