import { type UserStore, isChat4AllError, unauthenticated } from '@chat4all/core';
import { type TokenClaims, type TokenService } from '@chat4all/core/auth';
import { decodeClientFrame } from '@chat4all/contract';
import type { WebSocket } from 'ws';
import { CLOSE } from './connection.js';
import type { GatewayMetrics } from './metrics.js';

export interface AdmissionOptions {
  tokens: TokenService;
  /** Read only: a token's user must exist, as the api requires. */
  users: Pick<UserStore, 'getById'>;
  /** How many connections a user holds here now. */
  connections: { countOf(userId: string): number };
  metrics: GatewayMetrics;
  /** Connections one user may hold on this gateway. */
  connectionsPerUser: number;
  /** Time a connection without a token has to send an `auth` frame. */
  authTimeoutMs: number;
}

/** Why an upgrade with a token is refused, as the HTTP answer that says so. */
export interface Refusal {
  status: 401 | 429 | 503;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export type Verdict = { ok: true; claims: TokenClaims } | { ok: false; refusal: Refusal };

/**
 * Who may connect: a token (from the upgrade's URL or headers, or from the first frame of a socket
 * opened without one) must verify and name an existing user, who must have a connection to spare
 * on this gateway. The token's user is looked up on every connect, so a deleted account is
 * refused at once on every gateway.
 */
export class Admission {
  constructor(private readonly o: AdmissionOptions) {}

  /** The verdict on an upgrade that carries a token: its claims, or the HTTP refusal to answer with. */
  async admit(token: string): Promise<Verdict> {
    try {
      const claims = await this.authenticate(token);
      if (this.full(claims.userId)) {
        return { ok: false, refusal: { status: 429, code: 'too_many_connections', message: `at most ${this.o.connectionsPerUser} connections per user`, retryAfterSeconds: 5 } };
      }
      return { ok: true, claims };
    } catch (err) {
      if (isChat4AllError(err, 'unavailable')) {
        return { ok: false, refusal: { status: 503, code: 'unavailable', message: 'the service cannot check the access token now; retry shortly', retryAfterSeconds: 2 } };
      }
      const code = isChat4AllError(err) ? err.code : 'invalid_token';
      return { ok: false, refusal: { status: 401, code, message: code === 'token_expired' ? 'the access token has expired' : 'the access token is invalid' } };
    }
  }

  /**
   * A socket opened without a token must authenticate with its first frame, within the time
   * allowed. Resolves its claims; otherwise closes it (1008 when it did not authenticate, 4029
   * when its user has no connection to spare, 1011 when the token cannot be checked now) and
   * resolves undefined.
   */
  awaitAuthFrame(ws: WebSocket): Promise<TokenClaims | undefined> {
    return new Promise((resolve) => {
      const refuse = (reason: string, code: number, closeReason = reason) => {
        this.o.metrics.connectionErrors.inc({ reason });
        ws.close(code, closeReason);
        resolve(undefined);
      };
      const timer = setTimeout(() => {
        ws.off('message', onFrame);
        refuse('auth_timeout', CLOSE.auth, 'authentication required');
      }, this.o.authTimeoutMs);
      const onFrame = (data: unknown) => {
        clearTimeout(timer);
        this.authenticateFrame(String(data)).then(
          (claims) => (this.full(claims.userId) ? refuse('too_many_connections', CLOSE.rateLimited) : resolve(claims)),
          (err: unknown) => refuse(isChat4AllError(err) ? err.code : 'auth_required', isChat4AllError(err, 'unavailable') ? 1011 : CLOSE.auth),
        );
      };
      ws.once('message', onFrame);
      ws.once('close', () => {
        clearTimeout(timer);
        ws.off('message', onFrame);
        resolve(undefined);
      });
    });
  }

  private full(userId: string): boolean {
    return this.o.connections.countOf(userId) >= this.o.connectionsPerUser;
  }

  /**
   * Verifies a token and that its user exists, as the api does: a token whose subject is no user
   * is refused (`invalid_token`). Rejects `unavailable` when the user cannot be looked up now.
   */
  private async authenticate(token: string): Promise<TokenClaims> {
    const claims = this.o.tokens.verify(token);
    if (!(await this.o.users.getById(claims.userId))) throw unauthenticated('invalid_token', 'the access token names no user');
    return claims;
  }

  private authenticateFrame(data: string): Promise<TokenClaims> {
    const frame = decodeClientFrame(data);
    if (!frame.ok || frame.value.type !== 'auth') return Promise.reject(new Error('not an auth frame'));
    return this.authenticate(frame.value.token);
  }
}
