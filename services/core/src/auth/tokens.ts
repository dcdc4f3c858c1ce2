import { type KeyObject, createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { unauthenticated } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';

/** What a verified access token says. */
export interface TokenClaims {
  /** The user id (claim `sub`). */
  userId: string;
  username: string;
  /** Issued and expiry times, Unix seconds. */
  issuedAt: number;
  expiresAt: number;
}

export interface TokenServiceOptions {
  /** The HS256 key shared by api and gateway (`JWT_SECRET`), at least 32 bytes. */
  secret: string;
  /** Lifetime of issued tokens. @default 3600 */
  ttlSeconds?: number;
  now?: () => number;
}

/**
 * Issues and verifies the access tokens of the wire contract: HS256 JWTs with claims sub (user id),
 * username, iat and exp. Only HS256 is accepted, so `alg: none` and key-confusion tokens fail.
 */
export class TokenService {
  readonly ttlSeconds: number;
  private readonly now: () => number;
  /** A key object made once: given a string, jsonwebtoken tries it as a public key on every call (about 1 ms). */
  private readonly key: KeyObject;

  constructor(options: TokenServiceOptions) {
    if (Buffer.byteLength(options.secret) < 32) throw new RangeError('JWT secret must be at least 32 bytes');
    this.key = createSecretKey(Buffer.from(options.secret));
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.now = options.now ?? Date.now;
  }

  issue(userId: string, username: string): string {
    const iat = Math.floor(this.now() / 1000);
    return jwt.sign({ sub: userId, username, iat, exp: iat + this.ttlSeconds }, this.key, { algorithm: 'HS256' });
  }

  /** Verifies `token`; rejects with `unauthenticated` of code `token_expired` or `invalid_token`. */
  verify(token: string): TokenClaims {
    if (token.length === 0 || token.length > 4096) throw unauthenticated('invalid_token', 'the access token is malformed');
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.key, { algorithms: ['HS256'], clockTimestamp: Math.floor(this.now() / 1000) });
    } catch (err) {
      if ((err as { name?: string }).name === 'TokenExpiredError') throw unauthenticated('token_expired', 'the access token has expired');
      throw unauthenticated('invalid_token', 'the access token is invalid');
    }
    if (typeof payload !== 'object' || !isUuid(payload.sub) || typeof payload.username !== 'string' || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
      throw unauthenticated('invalid_token', 'the access token lacks required claims');
    }
    return { userId: payload.sub, username: payload.username, issuedAt: payload.iat, expiresAt: payload.exp };
  }
}

/** The bearer token of an `Authorization` header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
