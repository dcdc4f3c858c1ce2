/** Messages between a benchmark and its load-generator and publisher processes (over IPC). */

/**
 * The servers a benchmark compares: ours (a chat4all gateway), Socket.IO with its Redis adapter,
 * and Centrifugo on its Redis engine.
 */
export type Side = 'ours' | 'socketio' | 'centrifugo';
export const SIDES: readonly Side[] = ['ours', 'socketio', 'centrifugo'];
/** The peers ours is compared with, in the order the tables show them. */
export type Peer = Exclude<Side, 'ours'>;
export const PEERS: readonly Peer[] = ['socketio', 'centrifugo'];

export interface Target {
  kind: Side;
  /** ws://host:port */
  url: string;
  jwtSecret: string;
}

/** Opens `devices` connections for each user firstUser .. firstUser+users-1. */
export interface OpenCommand {
  op: 'open';
  target: Target;
  prefix: string;
  firstUser: number;
  users: number;
  /** Explicit user ids and usernames (registered users), instead of ids made from `prefix`. */
  named?: { userId: string; username: string }[];
  devices: number;
  addresses: string[];
  /** Handshakes in flight at once. */
  concurrency: number;
  /** Reconnect (with `since` for ours) when a connection drops, as a real client does. */
  reconnect: boolean;
  /** Longest random wait before the first reconnect attempt (spreads a storm). */
  reconnectJitterMs: number;
}

export type LoadCommand =
  | OpenCommand
  | { op: 'reset' }
  | { op: 'report' }
  | { op: 'marks'; marks: number[] }
  | { op: 'final'; finals: number[] }
  | { op: 'close' };

export interface OpenReply {
  connected: number;
  /** Refused handshakes by HTTP status or reason (retried). */
  refusals: Record<string, number>;
  firstAt: number;
  lastAt: number;
}

export interface LoadReport {
  /** new_message payloads received since the last reset, and a sample of their latencies (ms). */
  received: number;
  latencies: number[];
  firstAt: number;
  lastAt: number;
  /** Connections open now; the wall time of the latest `connected`; closes seen. */
  connected: number;
  lastConnectedAt: number;
  closes: number;
  refusals: Record<string, number>;
  /** With marks: connections caught up (all messages up to the mark), and when the last one did. */
  caughtUp: number;
  lastCaughtUpAt: number;
}

export interface FinalReport {
  /** Messages published to a connection's user that it never received. */
  lost: number;
  duplicates: number;
  devices: number;
}

export type PublishCommand =
  | { op: 'init'; kind: Side; redisUrl: string; prefix: string; users: number; frame?: 'new_message' | 'message_status'; centrifugo?: CentrifugoApi }
  | { op: 'run'; rate: number; seconds: number }
  | { op: 'start'; rate: number }
  | { op: 'stop' }
  | { op: 'seqs' };

export interface PublishReport {
  published: number;
  errors: number;
  seconds: number;
  /** Publishes the publisher could not start in time (it was the bottleneck). */
  behind: number;
}

/** The server API of the unmeasured Centrifugo node the publisher goes through. */
export interface CentrifugoApi {
  /** http://host:port */
  url: string;
  key: string;
}

/** Envelope of a request and its reply. */
export interface Request<T> {
  id: number;
  body: T;
}
export interface Reply {
  id: number;
  ok: boolean;
  body?: unknown;
  error?: string;
}
