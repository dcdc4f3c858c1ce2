import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { explain, shellAdvice } from '../src/advice.js';
import { isCliError } from '../src/errors.js';
import { decodeToken, isExpired, requireSession, SessionStore, type Session } from '../src/session.js';
import { fakeToken } from './helpers.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function store(): Promise<SessionStore> {
  const base = await mkdtemp(join(tmpdir(), 'chat4all-session-'));
  dirs.push(base);
  return new SessionStore(join(base, 'nested', 'chat4all'));
}

const session = (token: string): Session => ({ api_url: 'http://api', user_id: 'u1', username: 'ana', access_token: token });

describe('SessionStore', () => {
  it('writes the session with mode 0600 in a directory of mode 0700, and reads it back', async () => {
    const s = await store();
    const saved = session(fakeToken({ sub: 'u1', exp: 9_999_999_999 }));
    await s.save(saved);
    assert.equal((await stat(s.path)).mode & 0o777, 0o600);
    assert.equal((await stat(s.dir)).mode & 0o777, 0o700);
    assert.deepEqual(await s.load(), saved);
  });

  it('keeps mode 0600 when it overwrites a file that was more open', async () => {
    const s = await store();
    await s.save(session('a.b.c'));
    await writeFile(s.path, '{}', { mode: 0o644 });
    await s.save(session('d.e.f'));
    assert.equal((await stat(s.path)).mode & 0o777, 0o600);
    assert.match(await readFile(s.path, 'utf8'), /d\.e\.f/);
  });

  it('treats a missing or damaged file as no session, and clear() removes it', async () => {
    const s = await store();
    assert.equal(await s.load(), undefined);
    assert.equal(await s.clear(), false);
    await s.save(session('a.b.c'));
    assert.equal(await s.clear(), true);
    assert.equal(await s.load(), undefined);
    await s.save(session('a.b.c'));
    await writeFile(s.path, 'not json');
    assert.equal(await s.load(), undefined);
  });
});

describe('tokens', () => {
  it('decodes sub, username and exp without verifying', () => {
    assert.deepEqual(decodeToken(fakeToken({ sub: 'u1', username: 'ana', exp: 100, other: true })), { sub: 'u1', username: 'ana', exp: 100 });
    assert.deepEqual(decodeToken('garbage'), {});
  });

  it('is expired once exp has passed', () => {
    const token = fakeToken({ exp: 1_000 });
    assert.equal(isExpired(token, 900_000, 0), false);
    assert.equal(isExpired(token, 1_000_000, 0), true);
    assert.equal(isExpired(fakeToken({}), Date.now()), false);
  });
});

describe('requireSession', () => {
  it('asks to log in when there is no session, another server’s, or an expired one', async () => {
    const s = await store();
    await assert.rejects(requireSession(s, 'http://api'), (err) => isCliError(err, 'not_logged_in') && err.exitStatus === 1);
    await s.save(session(fakeToken({ exp: 2_000 })));
    await assert.rejects(requireSession(s, 'http://other'), (err) => isCliError(err, 'not_logged_in') && /http:\/\/other/.test(err.message));
    await assert.rejects(requireSession(s, 'http://api', 3_000_000), (err) => isCliError(err, 'session_expired') && explain(err, shellAdvice) === 'your session as ana has expired: log in again with `chat4all login ana`');
    assert.equal((await requireSession(s, 'http://api', 1_000_000)).username, 'ana');
  });
});
