/**
 * A publisher process: sends `new_message` events to the benchmark's users at a set rate, the way
 * each side's own producers do. Ours through @chat4all/redis's RedisBroker (the router worker's
 * path: the publish-event Lua script appends to the user's history and PUBLISHes atomically);
 * Socket.IO through @socket.io/redis-emitter to the room `user:{id}` (a PUBLISH the adapters
 * receive); Centrifugo through the server API (`/api/batch`, one request per batch) of a second,
 * unmeasured node on the same Redis, which appends to the channel's history and PUBLISHes.
 * Each payload's content carries the publish time and a per-user sequence number.
 * Driven over IPC by lib/publisher.ts.
 */
import { randomUUID } from 'node:crypto';
import { type EventBody, type MessageStatusBody, type NewMessageBody } from '@chat4all/contract';
import { RedisBroker } from '@chat4all/redis';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { userId } from './ids.js';
import { serveIpc } from './ipc.js';
import { sleep, wallMs } from './params.js';
import type { CentrifugoApi, PublishCommand, PublishReport, Side } from './protocol.js';

let publishBatch: (users: number[]) => Promise<void> = () => Promise.reject(new Error('not initialised'));
let seqs = new Int32Array(0);
let ids: string[] = [];
let stopRequested = false;
let running: Promise<PublishReport> | undefined;
const conversationId = randomUUID();
const senderId = randomUUID();

let frame: 'new_message' | 'message_status' = 'new_message';

/**
 * The next event for user `u`: a new_message from another user (ours then sends a DELIVERED
 * receipt), or a message_status (no receipt; the stamp rides in an extra field both sides forward).
 */
function body(u: number): EventBody {
  const s = ++seqs[u]!;
  const stamp = JSON.stringify({ t: wallMs(), s });
  if (frame === 'message_status') {
    const status: MessageStatusBody & { stamp: string } = { type: 'message_status', message_id: randomUUID(), conversation_id: conversationId, user_id: ids[u]!, status: 'DELIVERED', at: new Date().toISOString(), stamp };
    return status;
  }
  return { type: 'new_message', message_id: randomUUID(), conversation_id: conversationId, sender_id: senderId, content: stamp, created_at: new Date().toISOString() } satisfies NewMessageBody;
}

async function init(kind: Side, redisUrl: string, prefix: string, users: number, kindOfFrame: typeof frame, api?: CentrifugoApi): Promise<void> {
  frame = kindOfFrame;
  seqs = new Int32Array(users);
  ids = Array.from({ length: users }, (_, i) => userId(prefix, i));
  if (kind === 'ours') {
    const broker = new RedisBroker({ redis: { url: redisUrl }, logger: pino({ level: 'warn' }), retention: { maxEvents: 1000, ttlMs: 3_600_000 } });
    await broker.connect();
    publishBatch = async (users) => {
      await broker.publish(users.map((u) => ({ userId: ids[u]!, body: body(u) })));
    };
  } else if (kind === 'centrifugo') {
    if (!api) throw new Error('the Centrifugo publisher needs the server API of a node');
    const channels = ids.map((id) => JSON.stringify(`personal:#${id}`));
    publishBatch = async (users) => {
      const commands = users.map((u) => `{"publish":{"channel":${channels[u]},"data":${JSON.stringify(body(u))}}}`);
      const res = await fetch(`${api.url}/api/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': api.key }, body: `{"commands":[${commands.join(',')}]}` });
      const text = await res.text();
      if (!res.ok || text.includes('"error"')) throw new Error(`centrifugo publish: ${res.status} ${text.slice(0, 200)}`);
    };
  } else {
    const redis = new Redis(redisUrl, { enableAutoPipelining: true });
    const emitter = new Emitter(redis);
    publishBatch = async (users) => {
      for (const u of users) emitter.to(`user:${ids[u]}`).emit('n', body(u));
    };
  }
}

/** Publishes `rate` messages a second, round robin over the users, until `stop()` says so. */
async function pace(rate: number, stop: (elapsedS: number) => boolean): Promise<PublishReport> {
  const start = performance.now();
  const maxInflight = Math.max(500, Math.ceil(rate / 4));
  let due = 0;
  let published = 0;
  let errors = 0;
  let behind = 0;
  let inflight = 0;
  let cursor = 0;
  while (!stop((performance.now() - start) / 1000)) {
    const owed = Math.floor((rate * (performance.now() - start)) / 1000) - due;
    if (owed > 0) {
      due += owed;
      const n = Math.max(0, Math.min(owed, maxInflight - inflight));
      behind += owed - n;
      if (n > 0) {
        const users: number[] = [];
        for (let i = 0; i < n; i++) users.push((cursor = (cursor + 1) % seqs.length));
        inflight += n;
        publishBatch(users).then(
          () => ((inflight -= n), (published += n)),
          () => ((inflight -= n), (errors += n)),
        );
      }
    }
    await sleep(2);
  }
  const seconds = (performance.now() - start) / 1000;
  for (let i = 0; i < 500 && inflight > 0; i++) await sleep(10);
  return { published, errors, seconds, behind };
}

serveIpc<PublishCommand>(async (cmd) => {
  switch (cmd.op) {
    case 'init':
      await init(cmd.kind, cmd.redisUrl, cmd.prefix, cmd.users, cmd.frame ?? 'new_message', cmd.centrifugo);
      return {};
    case 'run':
      return pace(cmd.rate, (s) => s >= cmd.seconds);
    case 'start':
      stopRequested = false;
      running = pace(cmd.rate, () => stopRequested);
      return {};
    case 'stop':
      stopRequested = true;
      return running;
    case 'seqs':
      return Array.from(seqs);
  }
});
