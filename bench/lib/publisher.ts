import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from './ipc.js';
import type { ProcessGroup } from './procs.js';
import type { PublishCommand, PublishReport, Side } from './protocol.js';
import { ServerUnderTest } from './stack.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'publisher-worker.ts');

/**
 * A publisher process (lib/publisher-worker.ts) for one side; for Centrifugo with the node whose
 * server API it publishes through (started here, stopped by close()).
 */
export class Publisher {
  private constructor(
    private readonly ipc: IpcClient<PublishCommand>,
    private readonly node?: ServerUnderTest,
  ) {}

  static async start(group: ProcessGroup, name: string, kind: Side, redisUrl: string, prefix: string, users: number, frame: 'new_message' | 'message_status' = 'new_message', jwtSecret = ''): Promise<Publisher> {
    // Go's own GOMAXPROCS: the API node is not measured, and must not be what holds the rate back.
    const node = kind === 'centrifugo' ? await ServerUnderTest.centrifugo(group, `${name}-node`, redisUrl, jwtSecret, 15_000, 'default') : undefined;
    const p = new Publisher(new IpcClient<PublishCommand>(group.fork(name, WORKER)), node);
    await p.ipc.call({ op: 'init', kind, redisUrl, prefix, users, frame, ...(node ? { centrifugo: { url: node.url.replace(/^ws:/, 'http:'), key: node.apiKey } } : {}) });
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
    await this.node?.proc.stop('SIGTERM', 3000);
  }
}
