/**
 * The fault drill: the platform as production runs it (api, worker, two gateways on real Kafka,
 * Cassandra and Redis with Sentinel), clients sending and listening on every gateway, and every
 * fault in turn: the worker, a gateway and the api killed, a Sentinel failover, Kafka restarted,
 * Cassandra down, a member removed. Every message and every status is counted at every device;
 * the drill fails if one is missing.
 *
 * Run: make fault-drill   (or, with the servers up and their env exported:
 *      node --import tsx services/server/test/fault-drill.ts)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { CassandraStores, parseCassandraOptions } from '@chat4all/cassandra';
import pino from 'pino';
import { sleep, waitFor } from '@chat4all/core/testing';
import WebSocket from 'ws';
import { type Frame, signUp } from './clients.js';
import { type Cluster, restoreRedis, services, startCluster } from './real-servers.js';

type Account = Awaited<ReturnType<typeof signUp>>;

/**
 * A device as a real client behaves: reconnects with `since` (to the other gateway first), reads
 * the conversation again over HTTP when told `recovered: false`, marks what it shows read if it
 * is its user's reading device, and records every message and status it learns of.
 */
class DrillDevice {
  readonly messages = new Set<string>();
  /** `${message_id} ${user_id} ${status}` of every message_status. */
  readonly statuses = new Set<string>();
  reconnects = 0;
  notRecovered = 0;
  /** Error frames by code (a refused read, say). */
  readonly errors = new Map<string, number>();
  private since: string | undefined;
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    readonly account: Account,
    private readonly urls: string[],
    private readonly conversationId: string,
    private readonly reads: boolean,
  ) {}

  start(): Promise<void> {
    const url = this.urls[this.reconnects % this.urls.length]!;
    const ws = new WebSocket(`${url}/notifications?token=${encodeURIComponent(this.account.token)}${this.since ? `&since=${this.since}` : ''}`);
    this.ws = ws;
    return new Promise((resolve) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as Frame;
        if (f.event_id) this.since = f.event_id;
        if (f.type === 'connected') {
          resolve();
          if (f.recovered === false) {
            this.notRecovered++;
            void this.reread();
          }
        } else if (f.type === 'new_message' && f.conversation_id === this.conversationId) {
          this.messages.add(f.message_id);
          if (this.reads && f.sender_id !== this.account.userId) this.markRead(f.message_id);
        } else if (f.type === 'message_status') {
          this.statuses.add(`${f.message_id} ${f.user_id} ${f.status}`);
          // READ implies DELIVERED (docs/adr/0003): a READ that overtakes the DELIVERED is all there is to say.
          if (f.status === 'READ') this.statuses.add(`${f.message_id} ${f.user_id} DELIVERED`);
        } else if (f.type === 'error') {
          this.errors.set(f.code, (this.errors.get(f.code) ?? 0) + 1);
        }
      });
      ws.on('close', () => {
        if (this.stopped || this.ws !== ws) return;
        this.reconnects++;
        setTimeout(() => void this.start().then(resolve), 100 + Math.random() * 300);
      });
      ws.on('error', () => {});
    });
  }

  private readonly toRead: string[] = [];
  private reading = false;

  /**
   * Marks a message read as the chat4all CLI does: over HTTP, one at a time, retrying until the
   * api answers (a read is idempotent). WebSocket `read` frames would do too, but a device that
   * catches up on many messages at once would exceed its frame budget (docs/adr/0005).
   */
  private markRead(messageId: string): void {
    this.toRead.push(messageId);
    if (this.reading) return;
    this.reading = true;
    void (async () => {
      while (this.toRead.length > 0 && !this.stopped) {
        const id = this.toRead[0]!;
        const r = await this.account.http.call('POST', `/v1/messages/${id}/read`).catch(() => ({ status: 0 }));
        if (r.status === 200 || r.status === 404 || r.status === 409) this.toRead.shift();
        else await sleep(500);
      }
      this.reading = false;
    })();
  }

  /** What HTTP history shows, as a client does after `recovered: false`. */
  private async reread(): Promise<void> {
    let before: string | undefined;
    do {
      const page = await this.account.http.call('GET', `/v1/conversations/${this.conversationId}/messages?limit=200${before ? `&before=${before}` : ''}`).catch(() => undefined);
      if (page?.status !== 200) return;
      for (const m of page.body.messages as { message_id: string; sender_id: string }[]) {
        this.messages.add(m.message_id);
        if (this.reads && m.sender_id !== this.account.userId) this.markRead(m.message_id);
      }
      before = page.body.next_before;
    } while (before);
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

interface Sent {
  id: string;
  sender: string;
  /** Members when the send was accepted: who must see it. */
  to: string[];
}

/**
 * For each missing status (`<user> lacks <STATUS> of <message> by <recipient>`), whether the store
 * holds it: stored means it was recorded but its event never reached the device.
 */
async function explain(cluster: Cluster, lines: string[]): Promise<Record<string, number>> {
  const stores = new CassandraStores({ ...parseCassandraOptions(cluster.env)!, logger: pino({ level: 'silent' }) });
  await stores.connect();
  const out: Record<string, number> = {};
  try {
    for (const line of lines) {
      const m = /lacks (its own )?(DELIVERED|READ) of (\S+) by (\S+)/.exec(line);
      if (!m) continue;
      const [, own, status, messageId, by] = m;
      const r = await stores.messages.getReceipt(messageId!, by!);
      const stored = status === 'READ' ? r?.read_at !== undefined : r?.delivered_at !== undefined;
      const key = `${status}${own ? ' (own)' : ''} ${stored ? 'stored' : 'not stored'}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  } finally {
    await stores.close();
  }
  return out;
}

async function main(): Promise<void> {
  restoreRedis();
  const cluster: Cluster = await startCluster();
  const { apiUrl, ws1, ws2 } = cluster;
  const devices: DrillDevice[] = [];
  let sending = true;
  try {
    const users: Account[] = [];
    for (let i = 0; i < 6; i++) users.push(await signUp(apiUrl, `drill${i}`));
    const [owner, ...others] = users;
    const conv = (await owner!.http.call('POST', '/v1/conversations', { type: 'group', name: 'drill', members: others.map((u) => u.username) })).body.conversation_id as string;
    let members = users.map((u) => u.userId);
    for (const u of users) devices.push(new DrillDevice(u, [ws1, ws2], conv, true), new DrillDevice(u, [ws2, ws1], conv, false));
    await Promise.all(devices.map((d) => d.start()));

    const sent: Sent[] = [];
    const leaver = users[5]!;
    let leaverGone = false;
    const prefix = randomBytes(4).toString('hex');
    let n = 0;
    const sender = async (u: Account) => {
      while (sending) {
        if (u === leaver && leaverGone) return;
        const i = n++;
        for (let attempt = 0; sending || attempt > 0; attempt++) {
          const to = [...members];
          const r = await u.http.call('POST', '/v1/messages', { conversation_id: conv, content: `drill ${i}`, client_message_id: `${prefix}-${i}` }).catch(() => ({ status: 0, body: undefined }));
          if (r.status === 202) {
            if (!sent.some((s) => s.id === r.body.message_id)) sent.push({ id: r.body.message_id, sender: u.userId, to });
            break;
          }
          if (r.status === 404 && u === leaver) return;
          if (attempt > 400) throw new Error(`a send was never accepted: ${r.status}`);
          await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
        }
        await sleep(1000 + Math.random() * 500);
      }
    };
    const senders = Promise.all(users.map((u) => sender(u)));

    const faults: [string, () => Promise<void>][] = [
      ['worker killed (SIGKILL) and restarted', async () => {
        await cluster.worker.kill('SIGKILL');
        await sleep(2000);
        await cluster.worker.start();
      }],
      ['Redis master killed: Sentinel failover', async () => void services('kill', 'redis-master', '--wait')],
      ['Kafka stopped for 3 s', async () => {
        services('stop', 'kafka');
        await sleep(3000);
        services('start', 'kafka');
      }],
      ['Cassandra stopped for 10 s', async () => {
        services('stop', 'cassandra');
        await sleep(10_000);
        services('start', 'cassandra');
      }],
      ['gateway 1 killed (SIGKILL) and restarted', async () => {
        await cluster.gw1.kill('SIGKILL');
        await sleep(2000);
        await cluster.gw1.start();
      }],
      ['api killed (SIGKILL) and restarted', async () => {
        await cluster.api.kill('SIGKILL');
        await sleep(1000);
        await cluster.api.start();
      }],
      ['a member removed under traffic', async () => {
        leaverGone = true;
        const r = await owner!.http.call('DELETE', `/v1/conversations/${conv}/members/${leaver.userId}`);
        if (r.status !== 200) throw new Error(`removal: ${r.status}`);
        members = members.filter((m) => m !== leaver.userId);
      }],
    ];
    await sleep(5000);
    for (const [name, fault] of faults) {
      const t = Date.now();
      await fault();
      console.log(`fault: ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      await sleep(8000);
      await Promise.all([cluster.api, cluster.worker, cluster.gw1, cluster.gw2].map((p) => p.ready(120_000)));
    }
    await sleep(5000);
    sending = false;
    await senders;

    const missing = () => {
      const messages: string[] = [];
      const statuses: string[] = [];
      let expected = 0;
      for (const d of devices) {
        const me = d.account.userId;
        for (const s of sent) {
          // The removed member may or may not have been fanned out what was stored after it left.
          if (me === leaver.userId) continue;
          if (s.to.includes(me) && !d.messages.has(s.id)) messages.push(`${d.account.username} lacks ${s.id}`);
          if (d.notRecovered > 0) continue;
          if (s.sender === me) {
            for (const r of s.to.filter((r) => r !== me && r !== leaver.userId)) {
              for (const st of ['DELIVERED', 'READ']) {
                expected++;
                if (!d.statuses.has(`${s.id} ${r} ${st}`)) statuses.push(`${d.account.username} lacks ${st} of ${s.id} by ${r}`);
              }
            }
          } else if (s.to.includes(me) && ++expected && !d.statuses.has(`${s.id} ${me} READ`)) {
            statuses.push(`${d.account.username} lacks its own READ of ${s.id} by ${me}`);
          }
        }
      }
      return { messages, statuses, expected };
    };
    await waitFor(() => {
      const m = missing();
      return m.messages.length === 0 && m.statuses.length === 0;
    }, 'every message and status at every device', 240_000, 1000).catch(() => undefined);
    const result = missing();
    const explained = await explain(cluster, result.statuses);
    const leaverDevices = devices.filter((d) => d.account.userId === leaver.userId);
    const leakedToLeaver = sent.filter((s) => !s.to.includes(leaver.userId) && leaverDevices.some((d) => d.messages.has(s.id))).length;
    const report = {
      messages_accepted: sent.length,
      devices: devices.length,
      deliveries_expected: sent.reduce((k, s) => k + s.to.filter((u) => u !== leaver.userId || !leaverGone).length * 2, 0),
      messages_missing: result.messages.length,
      statuses_expected: result.expected,
      statuses_missing: result.statuses.length,
      sent_to_the_removed_member_after_removal: leakedToLeaver,
      reconnects: devices.reduce((k, d) => k + d.reconnects, 0),
      not_recovered: devices.reduce((k, d) => k + d.notRecovered, 0),
      error_frames: Object.fromEntries(devices.flatMap((d) => [...d.errors]).reduce((m, [code, k]) => m.set(code, (m.get(code) ?? 0) + k), new Map<string, number>())),
      missing_statuses_by_store: explained,
    };
    mkdirSync(`${process.env.CHAT4ALL_STATE ?? '.run'}/fault-drill`, { recursive: true });
    writeFileSync(`${process.env.CHAT4ALL_STATE ?? '.run'}/fault-drill/missing.txt`, [...result.messages, ...result.statuses].join('\n'));
    console.log(JSON.stringify(report, null, 2));
    for (const line of [...result.messages, ...result.statuses].slice(0, 20)) console.log(`missing: ${line}`);
    if (report.messages_missing + report.statuses_missing + leakedToLeaver > 0) process.exitCode = 1;
    else console.log('fault drill: nothing lost, every status delivered');
  } finally {
    sending = false;
    for (const d of devices) d.stop();
    await cluster.stop();
    restoreRedis();
  }
}

await main();
