import type { BenchProcess } from './procs.js';
import type { Reply, Request } from './protocol.js';

/** Request/reply over a child's IPC channel. */
export class IpcClient<C> {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly proc: BenchProcess) {
    proc.child.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.body);
      else w.reject(new Error(`${proc.name}: ${m.error}`));
    });
    proc.child.once('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${proc.name} exited (${code ?? signal}):\n${proc.tail()}`));
      this.waiting.clear();
    });
  }

  call<R>(body: C): Promise<R> {
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.child.send({ id, body } satisfies Request<C>);
    });
  }
}

/** The child side: answers each request with `handler`'s result. */
export function serveIpc<C>(handler: (body: C) => Promise<unknown>): void {
  process.on('message', (m: Request<C>) => {
    handler(m.body).then(
      (body) => process.send!({ id: m.id, ok: true, body } satisfies Reply),
      (err: unknown) => process.send!({ id: m.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Reply),
    );
  });
  // The benchmark gone means this process has nothing left to do.
  process.on('disconnect', () => process.exit(0));
}
