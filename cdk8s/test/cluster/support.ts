/**
 * What the cluster tests share: kubectl on the kind cluster (scripts/cluster/kind.sh env), clients
 * that reach the platform only through the ingress (HTTPS and WSS on 127.0.0.1:443 with the host
 * name and the self-signed certificate `make deploy` made), and probes run inside pods.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@chat4all/core/testing';
import WebSocket from 'ws';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const NAMESPACE = process.env.NAMESPACE ?? 'chat4all';
export const HOST = process.env.INGRESS_HOST ?? 'chat4all.localhost';
const STATE = process.env.CHAT4ALL_STATE ?? `${REPO}.run`;
const CA = (() => {
  try {
    return readFileSync(`${STATE}/cluster/tls/tls.crt`);
  } catch {
    return undefined;
  }
})();

/** Every name resolves to the machine itself, where kind maps the ingress's ports 80 and 443. */
const lookup: LookupFunction = (_host, options, callback) => {
  if (typeof options === 'object' && options.all) (callback as any)(null, [{ address: '127.0.0.1', family: 4 }]);
  else (callback as any)(null, '127.0.0.1', 4);
};

/** The environment of scripts/cluster/kind.sh env: KUBECONFIG, and kubectl, helm, kind on PATH. */
export const CLUSTER_ENV: NodeJS.ProcessEnv = (() => {
  const out = spawnSync(`${REPO}scripts/cluster/kind.sh`, ['env'], { encoding: 'utf8' }).stdout;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const m of out.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) {
    let value = m[2]!.replace(/^'(.*)'$/, '$1');
    value = value.replace(/:"\$PATH"$/, `:${process.env.PATH}`).replace(/^'(.*)'$/, '$1');
    env[m[1]!] = value.replace(/'/g, '');
  }
  return env;
})();

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** kubectl, synchronously; throws with its output unless `allowFail`. */
export function kubectl(args: string[], options: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync('kubectl', args, { env: CLUSTER_ENV, input: options.input, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const out = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (out.status !== 0 && !options.allowFail) throw new Error(`kubectl ${args.join(' ')}: ${out.status}\n${out.stderr}${out.stdout}`);
  return out;
}

/** kubectl without waiting: for `kubectl delete pod` and the like while traffic runs. */
export function kubectlAsync(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn('kubectl', args, { env: CLUSTER_ENV });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/** JSON of `kubectl get` in the platform's namespace. */
export function getJson(...args: string[]): any {
  return JSON.parse(kubectl(['-n', NAMESPACE, 'get', ...args, '-o', 'json']).stdout);
}

export interface PodInfo {
  name: string;
  /** Differs between a pod and the one that replaces it under the same name (a StatefulSet's). */
  uid: string;
  ip: string;
  node: string;
  ready: boolean;
  phase: string;
  deletionTimestamp?: string;
  annotations: Record<string, string>;
}

/** Pods of a component (`app.kubernetes.io/name`), in name order. */
export function podsOf(component: string, namespace = NAMESPACE): PodInfo[] {
  const list = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${component}`, '-o', 'json']).stdout);
  return list.items
    .map((p: any) => ({
      name: p.metadata.name,
      uid: p.metadata.uid,
      ip: p.status.podIP,
      node: p.spec.nodeName,
      phase: p.status.phase,
      deletionTimestamp: p.metadata.deletionTimestamp,
      annotations: p.metadata.annotations ?? {},
      ready: (p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    }))
    .sort((a: PodInfo, b: PodInfo) => a.name.localeCompare(b.name));
}

/** Waits until `count` pods of a component (none terminating) are Ready. */
export async function waitReady(component: string, count: number, timeoutMs = 300_000): Promise<PodInfo[]> {
  return waitFor(
    () => {
      const pods = podsOf(component).filter((p) => !p.deletionTimestamp);
      return pods.length === count && pods.every((p) => p.ready) ? pods : undefined;
    },
    `${count} Ready pods of ${component}`,
    timeoutMs,
    2000,
  );
}

/** An HTTP answer: status, parsed body and the raw headers. */
export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** An HTTP answer as bytes: status, body and the raw headers. */
export interface RawAnswer {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** HTTPS through the ingress: https://HOST on 127.0.0.1:443, the deployment's certificate trusted. */
export class IngressHttp {
  constructor(public token?: string) {}

  /** A JSON request (when `body` is given) whose answer is parsed as JSON when it is. */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const raw = await this.raw(method, path, payload, { ...(payload ? { 'content-type': 'application/json' } : {}) });
    const text = raw.body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: raw.status, body: parsed, headers: raw.headers };
  }

  /** A request with `body` as bytes (or none), its answer's body as bytes; the bearer token unless `anonymous`. */
  raw(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}, options: { anonymous?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: HOST,
          port: 443,
          path,
          method,
          lookup,
          ca: CA,
          servername: HOST,
          headers: {
            ...headers,
            ...(body ? { 'content-length': String(body.length) } : {}),
            ...(this.token && !options.anonymous ? { authorization: `Bearer ${this.token}` } : {}),
          },
          timeout: options.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** A plain-HTTP GET on the ingress's port 80: its status and Location. */
export function plainHttp(path: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: 80, path, method: 'GET', lookup, timeout: 10_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Registers a user with a unique name through the ingress and logs in (retrying while the platform settles). */
export async function signUp(prefix: string): Promise<{ http: IngressHttp; userId: string; username: string; token: string }> {
  const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const http = new IngressHttp();
  const password = 'correct horse battery';
  const reg = await waitFor(async () => {
    const r = await http.call('POST', '/auth/register', { username, password }).catch(() => undefined);
    return r && r.status < 500 ? r : undefined;
  }, `registering ${username}`, 60_000, 1000);
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const tok = await http.call('POST', '/auth/token', { username, password });
  if (tok.status !== 200) throw new Error(`token ${username}: ${tok.status}`);
  http.token = tok.body.access_token;
  return { http, userId: reg.body.user_id, username, token: tok.body.access_token };
}

export interface Frame {
  type: string;
  event_id?: string;
  [k: string]: any;
}

/** The affinity cookie of a WebSocket upgrade's answer, as `name=value` (Traefik's value names the pod). */
function cookieOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const set = headers['set-cookie'];
  const first = (Array.isArray(set) ? set : set ? [set] : []).find((c) => c.startsWith('chat4all-affinity='));
  return first?.split(';')[0];
}

/**
 * A device as a real one behaves, over WSS through the ingress: keeps the affinity cookie it was
 * given, reconnects with `since` whenever its connection drops, shows each message once (by
 * message_id) and counts the duplicates it dropped, the reconnects and the close codes it saw.
 */
export class Device {
  readonly frames: Frame[] = [];
  readonly shown: string[] = [];
  readonly closeCodes: number[] = [];
  duplicates = 0;
  reconnects = 0;
  notRecovered = 0;
  cookie: string | undefined;
  /** Reads over HTTP (`history`) after a `connected` with `recovered: false`, as the CLI does. */
  caughtUp = 0;
  private readonly history: (() => Promise<string[]>) | undefined;
  private readonly seen = new Set<string>();
  private since: string | undefined;
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(readonly token: string, options: { cookie?: string; history?: () => Promise<string[]> } = {}) {
    this.cookie = options.cookie;
    this.history = options.history;
  }

  private show(id: string): void {
    if (this.seen.has(id)) this.duplicates++;
    else {
      this.seen.add(id);
      this.shown.push(id);
    }
  }

  /**
   * What the gateway could not replay, read over HTTP, put in its place in the conversation as a
   * client's timeline does: the messages history holds in history's order (those seen included),
   * then those that arrived live after history was read, in their order. (A Redis failover can
   * lose an event the old master had not replicated; the gateway then says recovered: false and
   * a later message may arrive live before the lost one is read back.)
   */
  private async catchUp(): Promise<void> {
    if (!this.history) return;
    this.caughtUp++;
    const history = await this.history();
    for (const id of history) if (!this.seen.has(id)) this.show(id);
    const inHistory = new Set(history);
    const timeline = [...history, ...this.shown.filter((id) => !inHistory.has(id))];
    this.shown.splice(0, this.shown.length, ...timeline);
  }

  /** Opens the connection and waits for `connected`. */
  async start(timeoutMs = 30_000): Promise<this> {
    await this.open(timeoutMs);
    return this;
  }

  private open(timeoutMs: number): Promise<void> {
    const url = `wss://${HOST}/notifications?token=${encodeURIComponent(this.token)}${this.since ? `&since=${this.since}` : ''}`;
    const ws = new WebSocket(url, { ca: CA, lookup, headers: this.cookie ? { cookie: this.cookie } : {}, handshakeTimeout: 10_000 });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connected frame in time')), timeoutMs);
      ws.on('upgrade', (res) => {
        this.cookie = cookieOf(res.headers) ?? this.cookie;
      });
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as Frame;
        this.frames.push(f);
        if (f.type === 'connected') {
          if (f.recovered === false) {
            this.notRecovered++;
            void this.catchUp().catch(() => {});
          }
          clearTimeout(timer);
          resolve();
        }
        if (f.event_id) this.since = f.event_id;
        if (f.type === 'new_message') this.show(f.message_id);
      });
      const retry = () => {
        if (this.stopped || this.ws !== ws) return;
        this.reconnects++;
        setTimeout(() => void this.open(timeoutMs).then(resolve, () => retry()), 200 + Math.random() * 300);
      };
      ws.on('close', (code) => {
        this.closeCodes.push(code);
        retry();
      });
      ws.on('error', () => {});
      ws.on('unexpected-response', () => ws.terminate());
    });
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  next(pred: (f: Frame) => boolean, what = 'a frame', timeoutMs = 20_000): Promise<Frame> {
    return waitFor(() => this.frames.find(pred), what, timeoutMs, 50);
  }

  send(frame: unknown): void {
    this.ws?.send(JSON.stringify(frame));
  }

  has(ids: readonly string[]): boolean {
    return ids.every((id) => this.seen.has(id));
  }

  /** Closes for good (no reconnect). */
  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

/** GET /metrics of a pod, read from inside the pod (its image has node, not curl). */
export function podMetrics(pod: string, port = 9095): string {
  const script = `fetch('http://127.0.0.1:${port}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return kubectl(['-n', NAMESPACE, 'exec', pod, '--', 'node', '-e', script]).stdout;
}

/** The value of an unlabelled metric in a /metrics text (0 when absent). */
export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Whether a TCP connection from inside `pod` to host:port opens within `timeoutMs`: `node` in
 * Chat4All's images, bash's /dev/tcp in the Debian-based ones.
 */
export function canConnect(pod: { namespace?: string; name: string; container?: string; shell: 'node' | 'bash' }, host: string, port: number, timeoutMs = 3000): boolean {
  const ns = pod.namespace ?? NAMESPACE;
  const container = pod.container ? ['-c', pod.container] : [];
  const cmd =
    pod.shell === 'node'
      ? ['node', '-e', `const s=require('net').connect(${port},'${host}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),${timeoutMs})`]
      : ['bash', '-c', `timeout ${Math.ceil(timeoutMs / 1000)} bash -c 'exec 3<>/dev/tcp/${host}/${port}'`];
  const r = kubectl(['-n', ns, 'exec', pod.name, ...container, '--', ...cmd], { allowFail: true, timeoutMs: timeoutMs + 20_000 });
  return r.status === 0;
}

/** `kubectl port-forward` to a Service of the namespace, on a free local port, until `close()`. */
export async function portForward(service: string, port: number): Promise<{ url: string; close: () => void }> {
  const p = spawn('kubectl', ['-n', NAMESPACE, 'port-forward', `svc/${service}`, `:${port}`], { env: CLUSTER_ENV });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const local = await waitFor(() => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], `port-forward to ${service}:${port} (${out})`, 30_000, 100);
  return { url: `http://127.0.0.1:${local}`, close: () => p.kill() };
}
