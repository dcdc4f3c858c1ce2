import { Counter, Histogram, type Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';

/** The api's metrics, registered on the registry the service hands in (never the global one). */
export class ApiMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  /** New messages accepted into the event log (retries answered with a first answer are not counted). */
  readonly messagesAccepted: Counter;
  /** POST /auth/token by outcome: success, failure (wrong credentials) or throttled. */
  readonly logins: Counter<'result'>;
  /** Logins refused by throttling, by the budget that was spent. */
  readonly loginsThrottled: Counter<'scope'>;
  /** Bytes of attachments received (in) and sent (out), counted as they stream. */
  readonly attachmentBytes: Counter<'direction'>;
  /** A transfer's time from its start to its last byte, by direction and result. */
  readonly attachmentTransfers: Histogram<'direction' | 'result'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route template and status.', labelNames: ['method', 'route', 'status'], registers });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by route template.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.messagesAccepted = new Counter({ name: 'messages_accepted_total', help: 'Messages accepted into the event log.', registers });
    this.logins = new Counter({ name: 'login_attempts_total', help: 'Logins (POST /auth/token), by result: success, failure or throttled.', labelNames: ['result'], registers });
    this.loginsThrottled = new Counter({ name: 'login_throttled_total', help: 'Logins refused before the password was checked, by the budget spent: username_address, username or address.', labelNames: ['scope'], registers });
    this.attachmentBytes = new Counter({ name: 'attachment_bytes_total', help: 'Bytes of attachments received in uploads (in) and sent in downloads (out).', labelNames: ['direction'], registers });
    this.attachmentTransfers = new Histogram({
      name: 'attachment_transfer_duration_seconds',
      help: 'Time of an attachment upload or download from its start to its last byte, by result: ok or error.',
      labelNames: ['direction', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    });
    for (const direction of ['in', 'out']) this.attachmentBytes.inc({ direction }, 0);
  }

  /**
   * Counts every answer. The route label is the route's template (`/v1/conversations/:id`), or
   * `unmatched` for unknown paths, so that labels stay few whatever clients send.
   */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.requests.inc({ method, route, status: String(reply.statusCode) });
      this.duration.observe({ method, route }, reply.elapsedTime / 1000);
    });
  }
}
