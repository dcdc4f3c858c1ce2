import { waitFor } from '@chat4all/core/testing';
import WebSocket from 'ws';

/** A minimal HTTP client for the wire contract, for tests. */
export class Http {
  constructor(readonly base: string, public token?: string) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(this.base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
}

/** Registers a user with a unique name and logs in; returns its client and ids. */
export async function signUp(base: string, prefix: string): Promise<{ http: Http; userId: string; username: string; token: string }> {
  const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const http = new Http(base);
  const reg = await http.call('POST', '/auth/register', { username, password: 'correct horse battery' });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await http.call('POST', '/auth/token', { username, password: 'correct horse battery' });
  if (tok.status !== 200) throw new Error(`token ${username}: ${tok.status}`);
  http.token = tok.body.access_token;
  return { http, userId: reg.body.user_id, username, token: tok.body.access_token };
}

export interface Frame {
  type: string;
  event_id?: string;
  [k: string]: any;
}

/** A WebSocket client that records every frame it receives. */
export class Device {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(String(d)) as Frame));
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** Connects and waits for the `connected` frame. */
  static async connect(wsUrl: string, token: string, query = '', opts: WebSocket.ClientOptions = {}): Promise<Device> {
    const ws = new WebSocket(`${wsUrl}/notifications?token=${encodeURIComponent(token)}${query}`, opts);
    const d = new Device(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await d.next((f) => f.type === 'connected');
    return d;
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  next(pred: (f: Frame) => boolean, what = 'a frame', timeoutMs = 5000): Promise<Frame> {
    return waitFor(() => this.frames.find(pred), what, timeoutMs);
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  lastEventId(): string | undefined {
    return [...this.frames].reverse().find((f) => f.event_id)?.event_id;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Attempts a WebSocket upgrade and returns the HTTP status of a refusal (or 101). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

/**
 * A client as a real device behaves: reconnects with `since` whenever its connection drops, and
 * shows each message once (dedupe by message_id), counting the duplicates it dropped.
 */
export class Listener {
  readonly shown: string[] = [];
  duplicates = 0;
  reconnects = 0;
  notRecovered = 0;
  private readonly seen = new Set<string>();
  private since: string | undefined;
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    private readonly urls: string[],
    private readonly token: string,
  ) {}

  async start(): Promise<void> {
    await this.open();
  }

  private open(): Promise<void> {
    const url = this.urls[this.reconnects % this.urls.length]!;
    const ws = new WebSocket(`${url}/notifications?token=${encodeURIComponent(this.token)}${this.since ? `&since=${this.since}` : ''}`);
    this.ws = ws;
    return new Promise((resolve) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as Frame;
        if (f.type === 'connected') {
          if (f.recovered === false) this.notRecovered++;
          resolve();
        }
        if (f.event_id) this.since = f.event_id;
        if (f.type !== 'new_message') return;
        if (this.seen.has(f.message_id)) this.duplicates++;
        else {
          this.seen.add(f.message_id);
          this.shown.push(f.message_id);
        }
      });
      const retry = () => {
        if (this.stopped || this.ws !== ws) return;
        this.reconnects++;
        setTimeout(() => void this.open().then(resolve), 100 + Math.random() * 200);
      };
      ws.on('close', retry);
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
