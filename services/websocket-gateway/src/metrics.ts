import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The reasons a gateway refuses or drops a connection for, each exported at zero from the start
 * so a dashboard shows 0 rather than no data until the first one happens (a token's own error
 * code, e.g. token_expired, is counted under that code when it first occurs).
 */
export const CONNECTION_ERROR_REASONS = [
  'not_found',
  'draining',
  'overloaded',
  'too_many_connections',
  'unavailable',
  'invalid_token',
  'auth_required',
  'auth_timeout',
  'backend_unavailable',
  'rate_limited',
  'slow_consumer',
  'heartbeat_timeout',
  'socket_error',
] as const;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The gateway's metrics. The first three keep the original system's names. */
export class GatewayMetrics {
  readonly connectionsActive: Gauge;
  readonly notificationsSent: Counter<'type'>;
  readonly connectionErrors: Counter<'reason'>;
  readonly connects: Counter;
  readonly disconnects: Counter<'code'>;
  readonly deliveryLatency: Histogram;
  readonly pubsubLag: Histogram;
  readonly subscribedUsers: Gauge;
  readonly replayedEvents: Counter<'recovered'>;
  readonly clientFrames: Counter<'type'>;
  readonly brokerMessages: Counter;
  /** notificationsSent per frame type, looked up once: a label lookup hashes its labels on every call. */
  private readonly sentByType = new Map<string, Counter.Internal>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.connectionsActive = new Gauge({ name: 'websocket_connections_active', help: 'Open, authenticated WebSocket connections on this gateway', registers });
    this.notificationsSent = new Counter({ name: 'notifications_sent_total', help: 'Frames pushed to clients, by frame type', labelNames: ['type'], registers });
    this.connectionErrors = new Counter({ name: 'connection_errors_total', help: 'Refused or failed connections, by reason', labelNames: ['reason'], registers });
    for (const reason of CONNECTION_ERROR_REASONS) this.connectionErrors.inc({ reason }, 0);
    this.connects = new Counter({ name: 'websocket_connects_total', help: 'Accepted WebSocket connections', registers });
    this.disconnects = new Counter({ name: 'websocket_disconnects_total', help: 'Closed WebSocket connections, by close code', labelNames: ['code'], registers });
    this.deliveryLatency = new Histogram({ name: 'notification_delivery_latency_seconds', help: 'From the api accepting a message to its new_message frame being written to a client', buckets: LATENCY_BUCKETS, registers });
    this.pubsubLag = new Histogram({ name: 'pubsub_lag_seconds', help: 'From the broker assigning an event id to the gateway receiving the event', buckets: LATENCY_BUCKETS, registers });
    this.subscribedUsers = new Gauge({ name: 'websocket_subscribed_users', help: 'Users whose notification channel this gateway is subscribed to', registers });
    this.replayedEvents = new Counter({ name: 'catchup_events_replayed_total', help: 'Events replayed to reconnecting clients', labelNames: ['recovered'], registers });
    this.brokerMessages = new Counter({ name: 'websocket_broker_messages_total', help: 'Payloads received from the broker (only for users connected to this gateway)', registers });
    this.clientFrames = new Counter({ name: 'websocket_client_frames_total', help: 'Frames received from clients, by type (invalid for unparseable ones)', labelNames: ['type'], registers });
  }

  /** Counts one frame of `type` pushed to a client. */
  frameSent(type: string): void {
    let child = this.sentByType.get(type);
    if (!child) {
      // Frame types are few; past a hundred (a misbehaving publisher) they are counted uncached.
      if (this.sentByType.size >= 100) return this.notificationsSent.inc({ type });
      this.sentByType.set(type, (child = this.notificationsSent.labels({ type })));
    }
    child.inc();
  }
}
