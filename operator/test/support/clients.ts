import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** Registers a user with a unique name on `apiBase` and logs in; returns its id and token. */
export async function signUp(apiBase: string, prefix: string): Promise<{ userId: string; username: string; token: string }> {
  const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(apiBase + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const reg = await post('/auth/register', { username, password: 'correct horse battery' });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await post('/auth/token', { username, password: 'correct horse battery' });
  if (tok.status !== 200) throw new Error(`token ${username}: ${tok.status}`);
  return { userId: reg.body.user_id, username, token: tok.body.access_token };
}

/** One WebSocket connection to a gateway, open once `connected` arrived. */
export class Connection {
  closeCode: number | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => {});
  }

  static async open(wsBase: string, token: string): Promise<Connection> {
    const ws = new WebSocket(`${wsBase}/notifications?token=${encodeURIComponent(token)}`);
    const c = new Connection(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d) => {
        if ((JSON.parse(String(d)) as { type?: string }).type === 'connected') resolve();
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return c;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** `count` connections to one gateway, made by as many users as its per-user limit (10) needs, all at once. */
export async function openConnections(apiBase: string, wsBase: string, count: number): Promise<Connection[]> {
  const users = await Promise.all(Array.from({ length: Math.ceil(count / 10) }, () => signUp(apiBase, 'load')));
  return Promise.all(Array.from({ length: count }, (_, i) => Connection.open(wsBase, users[Math.floor(i / 10)]!.token)));
}

export { waitFor };

/** One authenticated call to the HTTP API. */
export async function call(apiBase: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(apiBase + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * A client as a real device behaves: when its connection closes it reconnects after a random
 * 100-300 ms, to the next gateway of `urls`, with `since` (the last event id it saw), and shows
 * each message once (dedupe by message_id). Records each close code and the gateway it is on.
 */
export class Listener {
  readonly shown: string[] = [];
  readonly closes: { code: number; at: number; url: string }[] = [];
  duplicates = 0;
  notRecovered = 0;
  connections = 0;
  url: string | undefined;
  private readonly seen = new Set<string>();
  private since: string | undefined;
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    private readonly urls: string[],
    private readonly token: string,
  ) {}

  start(): Promise<void> {
    return this.open();
  }

  private open(): Promise<void> {
    const url = this.urls[this.connections % this.urls.length]!;
    this.connections++;
    const ws = new WebSocket(`${url}/notifications?token=${encodeURIComponent(this.token)}${this.since ? `&since=${this.since}` : ''}`);
    this.ws = ws;
    return new Promise((resolve) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string; event_id?: string; message_id?: string; recovered?: boolean };
        if (f.type === 'connected') {
          this.url = url;
          if (f.recovered === false) this.notRecovered++;
          resolve();
        }
        if (f.event_id) this.since = f.event_id;
        if (f.type !== 'new_message' || !f.message_id) return;
        if (this.seen.has(f.message_id)) this.duplicates++;
        else {
          this.seen.add(f.message_id);
          this.shown.push(f.message_id);
        }
      });
      ws.on('close', (code) => {
        if (this.ws !== ws) return;
        this.closes.push({ code, at: Date.now(), url });
        this.url = undefined;
        if (this.stopped) return;
        setTimeout(() => void this.open().then(resolve), 100 + Math.random() * 200);
      });
      ws.on('error', () => {});
    });
  }

  has(ids: string[]): boolean {
    return ids.every((id) => this.seen.has(id));
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}
