import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UuidV7Generator, compareEventIds, directConversationId, isChat4AllError, isUuid, uuidV7Time } from '../src/index.js';
import { TokenService } from '../src/auth/index.js';
import jwt from 'jsonwebtoken';

describe('ids', () => {
  it('makes UUIDv7 ids that sort in creation order, even within one millisecond', () => {
    const g = new UuidV7Generator(() => 1_700_000_000_000);
    const list = Array.from({ length: 5000 }, () => g.next());
    assert.ok(list.every(isUuid));
    assert.deepEqual([...list].sort(), list);
    assert.equal(new Set(list).size, list.length);
    assert.equal(list[0]![14], '7', 'version 7');
    assert.ok(uuidV7Time(list[0]!) >= 1_700_000_000_000);
  });

  it('keeps increasing when the clock steps back', () => {
    let t = 2_000_000_000_000;
    const g = new UuidV7Generator(() => t);
    const a = g.next();
    t -= 10_000;
    assert.ok(g.next() > a);
  });

  it('derives one direct conversation id from a pair, whatever its order', () => {
    const g = new UuidV7Generator();
    const [a, b, c] = [g.next(), g.next(), g.next()];
    assert.equal(directConversationId(a, b), directConversationId(b, a));
    assert.notEqual(directConversationId(a, b), directConversationId(a, c));
    assert.ok(isUuid(directConversationId(a, b)));
  });

  it('orders event ids numerically, not as text', () => {
    assert.ok(compareEventIds('999-0', '1000-0') < 0);
    assert.ok(compareEventIds('1000-9', '1000-10') < 0);
    assert.equal(compareEventIds('5-5', '5-5'), 0);
  });
});

describe('tokens', () => {
  const secret = 's'.repeat(32);
  const userId = new UuidV7Generator().next();

  it('issues tokens it verifies, with the contract claims', () => {
    const t = new TokenService({ secret, ttlSeconds: 120 });
    const claims = t.verify(t.issue(userId, 'alice'));
    assert.equal(claims.userId, userId);
    assert.equal(claims.username, 'alice');
    assert.equal(claims.expiresAt - claims.issuedAt, 120);
    const decoded = jwt.decode(t.issue(userId, 'alice'), { complete: true })!;
    assert.equal(decoded.header.alg, 'HS256');
    assert.deepEqual(Object.keys(decoded.payload as object).sort(), ['exp', 'iat', 'sub', 'username']);
  });

  it('refuses expired, forged, alg-none and claimless tokens with stable codes', () => {
    const t = new TokenService({ secret });
    const now = Math.floor(Date.now() / 1000);
    const code = (token: string) => {
      try {
        t.verify(token);
        return 'accepted';
      } catch (e) {
        assert.ok(isChat4AllError(e, 'unauthenticated'));
        return e.code;
      }
    };
    assert.equal(code(jwt.sign({ sub: userId, username: 'a', iat: now - 100, exp: now - 10 }, secret)), 'token_expired');
    assert.equal(code(jwt.sign({ sub: userId, username: 'a', iat: now, exp: now + 60 }, 'x'.repeat(32))), 'invalid_token');
    assert.equal(code(jwt.sign({ sub: userId, username: 'a', iat: now, exp: now + 60 }, '', { algorithm: 'none' })), 'invalid_token');
    assert.equal(code(jwt.sign({ sub: 'not-a-uuid', username: 'a', iat: now, exp: now + 60 }, secret)), 'invalid_token');
    assert.equal(code(jwt.sign({ sub: userId, username: 'a', iat: now, exp: now + 60 }, secret, { algorithm: 'HS512' })), 'invalid_token');
    assert.equal(code(''), 'invalid_token');
  });

  it('refuses a short secret', () => {
    assert.throws(() => new TokenService({ secret: 'short' }), RangeError);
  });
});
