import WebSocket from 'ws';

/** A session with a process's inspector (it runs with `--inspect=127.0.0.1:0`): GC and CPU profiles. */
export class InspectorSession {
  private next = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: number; result?: unknown };
      if (m.id !== undefined) this.waiting.get(m.id)?.(m.result);
    });
  }

  /** Opens a session to the inspector whose address the process printed in `log`. */
  static async open(log: string[]): Promise<InspectorSession> {
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(log.join('\n'));
    if (!m) throw new Error('the process runs without an inspector');
    const ws = new WebSocket(m[1]!);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new InspectorSession(ws);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
