import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from './ipc.js';
import type { ProcessGroup } from './procs.js';
import type { PublishCommand, PublishReport } from './protocol.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'publisher-worker.ts');

/** A publisher process (lib/publisher-worker.ts) for one side. */
export class Publisher {
  private constructor(private readonly ipc: IpcClient<PublishCommand>) {}

  static async start(group: ProcessGroup, name: string, kind: 'ours' | 'peer', redisUrl: string, prefix: string, users: number, frame: 'new_message' | 'message_status' = 'new_message'): Promise<Publisher> {
    const p = new Publisher(new IpcClient<PublishCommand>(group.fork(name, WORKER)));
    await p.ipc.call({ op: 'init', kind, redisUrl, prefix, users, frame });
    return p;
  }

  get pid(): number {
    return this.ipc.proc.pid;
  }

  /** Publishes at `rate` for `seconds`; resolves when the last publish is acknowledged. */
  run(rate: number, seconds: number): Promise<PublishReport> {
    return this.ipc.call({ op: 'run', rate, seconds });
  }

  async begin(rate: number): Promise<void> {
    await this.ipc.call({ op: 'start', rate });
  }

  end(): Promise<PublishReport> {
    return this.ipc.call({ op: 'stop' });
  }

  /** Messages published so far to each user (its last sequence number). */
  seqs(): Promise<number[]> {
    return this.ipc.call({ op: 'seqs' });
  }

  async close(): Promise<void> {
    await this.ipc.proc.stop('SIGTERM', 3000);
  }
}
