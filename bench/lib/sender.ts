import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from './ipc.js';
import type { ProcessGroup } from './procs.js';
import type { SendReport, SenderCommand, SenderSpec } from './sender-worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'sender-worker.ts');

/** HTTP senders: `processes` of lib/sender-worker.ts sharing the rate. */
export class Senders {
  private constructor(private readonly workers: IpcClient<SenderCommand>[]) {}

  static async start(group: ProcessGroup, apiUrl: string, senders: SenderSpec[], processes: number, socketsPerProcess = 32): Promise<Senders> {
    const workers = Array.from({ length: processes }, (_, i) => new IpcClient<SenderCommand>(group.fork(`sender-${i}`, WORKER)));
    await Promise.all(workers.map((w, i) => w.call({ op: 'init', apiUrl, senders: senders.filter((_, k) => k % processes === i || senders.length < processes), sockets: socketsPerProcess })));
    return new Senders(workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.proc.pid);
  }

  /** Sends at `rate` (over all processes) for `seconds`; merged report. */
  async run(rate: number, seconds: number): Promise<SendReport> {
    const rs = await Promise.all(this.workers.map((w) => w.call<SendReport>({ op: 'run', rate: rate / this.workers.length, seconds })));
    const statuses: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    return { sent: rs.reduce((s, r) => s + r.sent, 0), statuses, latencies: rs.flatMap((r) => r.latencies), seconds: Math.max(...rs.map((r) => r.seconds)), behind: rs.reduce((s, r) => s + r.behind, 0) };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.proc.stop('SIGTERM', 3000)));
  }
}
