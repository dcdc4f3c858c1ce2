/**
 * An HTTP sender process: POSTs /v1/messages at a set rate, round robin over its senders, over
 * keep-alive connections, and measures each request (status, time to the answer). The content
 * carries the send time and a sequence number, so receivers measure end-to-end latency.
 * Driven over IPC by lib/sender.ts.
 */
import { Agent, request } from 'node:http';
import { serveIpc } from './ipc.js';
import { sleep, wallMs } from './params.js';
import { Reservoir } from './stats.js';

export interface SenderSpec {
  token: string;
  conversationId: string;
}

export type SenderCommand = { op: 'init'; apiUrl: string; senders: SenderSpec[]; sockets: number } | { op: 'run'; rate: number; seconds: number };

export interface SendReport {
  sent: number;
  /** Answers by HTTP status (0: the request failed). */
  statuses: Record<string, number>;
  /** A sample of request latencies, ms. */
  latencies: number[];
  seconds: number;
  /** Sends skipped because too many were in flight (the api was the bottleneck). */
  behind: number;
}

let api: URL;
let senders: SenderSpec[] = [];
let agent: Agent;
let seq = 0;

function post(s: SenderSpec): Promise<number> {
  const body = JSON.stringify({ conversation_id: s.conversationId, content: JSON.stringify({ t: wallMs(), s: ++seq }) });
  return new Promise((resolve) => {
    const req = request(
      { host: api.hostname, port: api.port, path: '/v1/messages', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${s.token}` } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', () => resolve(0));
    req.end(body);
  });
}

async function run(rate: number, seconds: number): Promise<SendReport> {
  const reservoir = new Reservoir(50_000);
  const statuses: Record<string, number> = {};
  const maxInflight = agent.maxSockets * 4;
  const start = performance.now();
  let due = 0;
  let sent = 0;
  let behind = 0;
  let inflight = 0;
  let cursor = 0;
  while (performance.now() - start < seconds * 1000) {
    const owed = Math.floor((rate * (performance.now() - start)) / 1000) - due;
    due += Math.max(0, owed);
    for (let i = 0; i < owed; i++) {
      if (inflight >= maxInflight) {
        behind++;
        continue;
      }
      const t0 = performance.now();
      inflight++;
      sent++;
      void post(senders[(cursor = (cursor + 1) % senders.length)]!).then((status) => {
        inflight--;
        reservoir.add(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      });
    }
    await sleep(1);
  }
  const elapsed = (performance.now() - start) / 1000;
  for (let i = 0; i < 1000 && inflight > 0; i++) await sleep(10);
  return { sent, statuses, latencies: reservoir.values, seconds: elapsed, behind };
}

serveIpc<SenderCommand>(async (cmd) => {
  switch (cmd.op) {
    case 'init':
      api = new URL(cmd.apiUrl);
      senders = cmd.senders;
      agent = new Agent({ keepAlive: true, maxSockets: cmd.sockets });
      return {};
    case 'run':
      return run(cmd.rate, cmd.seconds);
  }
});
