/**
 * A load-generator process: holds WebSocket connections to one server, as real clients would
 * (ours: `?token=` and `since=` on reconnect; Socket.IO: its protocol over a plain WebSocket, auth
 * in the CONNECT packet; Centrifugo: its JSON protocol, a connect command with the token and, on
 * reconnect, the personal channel's epoch and offset to recover from), and measures what arrives.
 * Every side is spoken to through the same `ws` client, so the load generator costs the same.
 * Driven over IPC by lib/loadgen.ts.
 */
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { type Stamp, benchUsername, userId } from './ids.js';
import { serveIpc } from './ipc.js';
import { sleep, wallMs } from './params.js';
import type { FinalReport, LoadCommand, LoadReport, OpenCommand, OpenReply } from './protocol.js';
import { Reservoir } from './stats.js';

interface Client {
  user: number;
  /** Centrifugo: the user's personal channel. */
  channel: string;
  token: string;
  address: string;
  ws: WebSocket | undefined;
  connected: boolean;
  /** Ours: the last event_id. */
  since: string | undefined;
  /** Centrifugo: the personal channel's epoch and the offset of the last publication received. */
  epoch: string | undefined;
  offset: number;
  attempts: number;
  seen: Set<number>;
  /** Messages up to the mark not received yet (-1 until marks are given). */
  missing: number;
  caughtUp: boolean;
  duplicates: number;
}

let spec: OpenCommand | undefined;
const clients: Client[] = [];
const reservoir = new Reservoir(40_000);
let received = 0;
let firstAt = 0;
let lastAt = 0;
let lastConnectedAt = 0;
let closes = 0;
let closing = false;
const refusals: Record<string, number> = {};
let marks: number[] | undefined;
let caughtUp = 0;
let lastCaughtUpAt = 0;

function refused(reason: string): void {
  refusals[reason] = (refusals[reason] ?? 0) + 1;
}

/**
 * The stamp of a message frame, read straight from its text: the content `{"t":…,"s":…}` sits
 * JSON-escaped inside both sides' frames. Cheaper than parsing the whole frame, which leaves more
 * of the shared CPU to the servers under test.
 */
const STAMP = /\\"t\\":([0-9.e+]+),\\"s\\":(\d+)/g;
const EVENT_ID = /^\{"event_id":"([^"]+)"/;
/** Centrifugo: a publication's offset (after its data) and a connect reply's epoch. */
const OFFSET = /"offset":(\d+)/g;
const EPOCH = /"epoch":"([^"]*)"/;

/** Every stamp in `text` (one frame of ours or Socket.IO; one or several Centrifugo replies). */
function onFrame(c: Client, text: string): void {
  for (const m of text.matchAll(STAMP)) onStamp(c, { t: Number(m[1]), s: Number(m[2]) });
}

/** Centrifugo: remembers the epoch and the highest offset in `text`, to recover from on reconnect. */
function track(c: Client, text: string): void {
  const epoch = EPOCH.exec(text)?.[1];
  if (epoch) c.epoch = epoch;
  for (const m of text.matchAll(OFFSET)) c.offset = Math.max(c.offset, Number(m[1]));
}

/** Centrifugo's connect command: the token, and where to recover the personal channel from. */
function centrifugoConnect(c: Client): string {
  if (c.epoch === undefined) return JSON.stringify({ id: 1, connect: { token: c.token } });
  return JSON.stringify({ id: 1, connect: { token: c.token, subs: { [c.channel]: { recover: true, epoch: c.epoch, offset: c.offset } } } });
}

function onStamp(c: Client, stamp: Stamp): void {
  const now = wallMs();
  reservoir.add(now - stamp.t);
  received++;
  if (firstAt === 0) firstAt = now;
  lastAt = now;
  if (c.seen.has(stamp.s)) {
    c.duplicates++;
    return;
  }
  c.seen.add(stamp.s);
  if (marks && stamp.s <= marks[c.user - spec!.firstUser]! && c.missing > 0) {
    c.missing--;
    checkCaughtUp(c);
  }
}

function checkCaughtUp(c: Client): void {
  if (c.caughtUp || !c.connected || c.missing !== 0) return;
  c.caughtUp = true;
  caughtUp++;
  lastCaughtUpAt = wallMs();
}

function onConnected(c: Client, done: () => void): void {
  c.connected = true;
  c.attempts = 0;
  lastConnectedAt = wallMs();
  checkCaughtUp(c);
  done();
}

/** Opens one connection; resolves when it is authenticated, rejects with the refusal's reason. */
function connect(c: Client): Promise<void> {
  const s = spec!;
  const kind = s.target.kind;
  const url =
    kind === 'ours'
      ? `${s.target.url}/notifications?token=${encodeURIComponent(c.token)}${c.since ? `&since=${c.since}` : ''}`
      : kind === 'socketio'
        ? `${s.target.url}/socket.io/?EIO=4&transport=websocket`
        : `${s.target.url}/connection/websocket`;
  const ws = new WebSocket(url, { localAddress: c.address, perMessageDeflate: false, handshakeTimeout: 30_000 });
  c.ws = ws;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const ok = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      reject(new Error(reason));
    };
    ws.on('unexpected-response', (_req, res) => {
      fail(`http_${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? (/timed out/.test(err.message) ? 'handshake_timeout' : `error: ${err.message.slice(0, 60)}`)));
    ws.on('close', () => {
      fail('closed');
      if (c.ws !== ws) return;
      const was = c.connected;
      c.connected = false;
      if (was) {
        closes++;
        if (s.reconnect && !closing) void reconnect(c, true);
      }
    });
    if (kind === 'centrifugo') ws.on('open', () => ws.send(centrifugoConnect(c)));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (kind === 'centrifugo') {
        // Replies, newline-separated when several share a frame: {} is a ping (answered with {}),
        // {"id":1,...} the connect reply (with recovered publications), the rest pushes.
        for (const line of text.split('\n')) {
          if (line === '{}') ws.send('{}');
          else if (line.startsWith('{"id":1,"connect"')) {
            onFrame(c, line);
            track(c, line);
            onConnected(c, ok);
          } else if (line.startsWith('{"id":1,"error"')) {
            fail(`connect_error ${line.slice(0, 80)}`);
            ws.terminate();
          } else if (line.startsWith('{"push":{"channel"')) {
            onFrame(c, line);
            track(c, line);
          }
        }
        return;
      }
      if (kind === 'ours') {
        // Events start with their event_id (the broker prepends it); `connected` has none.
        const id = EVENT_ID.exec(text);
        if (id) {
          c.since = id[1];
          onFrame(c, text);
        } else if (text.startsWith('{"type":"connected"')) onConnected(c, ok);
        return;
      }
      // Engine.IO v4 / Socket.IO v5 packets: 0 open, 2 ping, 40 connect(ed), 44 connect error, 42 event.
      if (text.startsWith('42')) onFrame(c, text);
      else if (text === '2') ws.send('3');
      else if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token: c.token })}`);
      else if (text.startsWith('40')) onConnected(c, ok);
      else if (text.startsWith('44')) {
        fail('connect_error');
        ws.terminate();
      }
    });
  });
}

/** Connects, retrying refusals with backoff (and the jitter of a storm on the first try). */
async function reconnect(c: Client, afterDrop: boolean): Promise<void> {
  if (afterDrop) await sleep(Math.random() * spec!.reconnectJitterMs);
  while (!closing) {
    try {
      await connect(c);
      return;
    } catch (err) {
      refused((err as Error).message);
      c.attempts++;
      const backoff = Math.min(5000, 250 * 2 ** Math.min(c.attempts, 5));
      await sleep(backoff * (0.5 + Math.random()));
    }
  }
}

async function open(cmd: OpenCommand): Promise<OpenReply> {
  spec = cmd;
  const start = wallMs();
  const expiry = Math.floor(Date.now() / 1000) + 4 * 3600;
  for (let u = 0; u < cmd.users; u++) {
    const named = cmd.named?.[cmd.firstUser + u];
    const id = named?.userId ?? userId(cmd.prefix, cmd.firstUser + u);
    const token = jwt.sign({ sub: id, username: named?.username ?? benchUsername(cmd.prefix, cmd.firstUser + u), iat: Math.floor(Date.now() / 1000), exp: expiry }, cmd.target.jwtSecret, { algorithm: 'HS256' });
    for (let d = 0; d < cmd.devices; d++) {
      const address = cmd.addresses[clients.length % cmd.addresses.length]!;
      clients.push({ user: cmd.firstUser + u, channel: `personal:#${id}`, token, address, epoch: undefined, offset: 0, ws: undefined, connected: false, since: undefined, attempts: 0, seen: new Set(), missing: -1, caughtUp: false, duplicates: 0 });
    }
  }
  let next = 0;
  const lane = async () => {
    while (next < clients.length && !closing) await reconnect(clients[next++]!, false);
  };
  await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, lane));
  return { connected: clients.filter((c) => c.connected).length, refusals: { ...refusals }, firstAt: start, lastAt: lastConnectedAt };
}

function report(): LoadReport {
  return {
    received,
    latencies: reservoir.values.slice(),
    firstAt,
    lastAt,
    connected: clients.filter((c) => c.connected).length,
    lastConnectedAt,
    closes,
    refusals: { ...refusals },
    caughtUp,
    lastCaughtUpAt,
  };
}

function setMarks(m: number[]): void {
  marks = m;
  for (const c of clients) {
    const mark = m[c.user - spec!.firstUser] ?? 0;
    c.caughtUp = false;
    let missing = 0;
    for (let s = 1; s <= mark; s++) if (!c.seen.has(s)) missing++;
    c.missing = missing;
  }
  caughtUp = 0;
  lastCaughtUpAt = 0;
  for (const c of clients) checkCaughtUp(c);
}

function final(finals: number[]): FinalReport {
  let lost = 0;
  let duplicates = 0;
  for (const c of clients) {
    const last = finals[c.user - spec!.firstUser] ?? 0;
    for (let s = 1; s <= last; s++) if (!c.seen.has(s)) lost++;
    duplicates += c.duplicates;
  }
  return { lost, duplicates, devices: clients.length };
}

serveIpc<LoadCommand>(async (cmd) => {
  switch (cmd.op) {
    case 'open':
      return open(cmd);
    case 'reset':
      reservoir.reset();
      received = 0;
      firstAt = 0;
      lastAt = 0;
      return {};
    case 'report':
      return report();
    case 'marks':
      setMarks(cmd.marks);
      return {};
    case 'final':
      return final(cmd.finals);
    case 'close':
      closing = true;
      for (const c of clients) c.ws?.terminate();
      setTimeout(() => process.exit(0), 100);
      return {};
  }
});
