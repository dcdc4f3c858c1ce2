import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, menuAdvice, shellAdvice } from '../src/advice.js';
import { ApiClient } from '../src/api-client.js';
import { isCliError } from '../src/errors.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a script and records the requests. */
function fakeFetch(answers: (Response | Error)[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, method: String(init.method), headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const client = (fetchImpl: typeof fetch, token: string | null = 'tok') => new ApiClient({ baseUrl: 'http://api/', ...(token ? { token } : {}), fetch: fetchImpl, sleep: async () => {} });

describe('ApiClient', () => {
  it('sends JSON with the bearer token, and snake_case bodies', async () => {
    const { calls, fetchImpl } = fakeFetch([json(202, { message_id: 'm1', conversation_id: 'c1', status: 'ACCEPTED', created_at: 'now' })]);
    const sent = await client(fetchImpl).send('c1', 'hello', 'client-1');
    assert.equal(sent.message_id, 'm1');
    assert.equal(calls[0]?.url, 'http://api/v1/messages');
    assert.equal(calls[0]?.headers.authorization, 'Bearer tok');
    assert.deepEqual(calls[0]?.body, { conversation_id: 'c1', content: 'hello', client_message_id: 'client-1' });
  });

  it('builds the history query and escapes path segments', async () => {
    const { calls, fetchImpl } = fakeFetch([json(200, { messages: [] }), json(200, { user_id: 'u', username: 'a b', display_name: '' })]);
    await client(fetchImpl).history('c/1', { limit: 5, before: 'm9' });
    await client(fetchImpl).user('a b');
    assert.equal(calls[0]?.url, 'http://api/v1/conversations/c%2F1/messages?limit=5&before=m9');
    assert.equal(calls[1]?.url, 'http://api/v1/users/a%20b');
  });

  it("turns the server's error body into a CliError with its code, message and details", async () => {
    const { fetchImpl } = fakeFetch([json(400, { error: { code: 'validation_failed', message: 'bad request', details: [{ field: 'username', message: 'too short' }] } })]);
    await assert.rejects(client(fetchImpl, null).register('ab', 'password123'), (err) => {
      assert.ok(isCliError(err, 'validation_failed'));
      assert.equal(err.message, 'bad request (username: too short)');
      assert.equal(err.httpStatus, 400);
      assert.equal(err.exitStatus, 1);
      return true;
    });
  });

  it('says to log in again on 401 for an authenticated call, but passes the login error through', async () => {
    const expired = fakeFetch([json(401, { error: { code: 'token_expired', message: 'the access token has expired' } })]);
    await assert.rejects(client(expired.fetchImpl).me(), (err) => isCliError(err, 'session_expired') && /log in again/.test(explain(err, shellAdvice)));
    const wrong = fakeFetch([json(401, { error: { code: 'invalid_credentials', message: 'the username or the password is wrong' } })]);
    await assert.rejects(client(wrong.fetchImpl, null).login('ana', 'nope-nope'), (err) => isCliError(err, 'invalid_credentials') && err.message === 'the username or the password is wrong');
  });

  it('tells a refusal by a server that keeps accounts in memory (it restarted: the account is gone) from any other', async () => {
    const readyz = (backends: string[]) => json(200, { status: 'ready', backends: Object.fromEntries(backends.map((b) => [b, { status: 'up' }])) });
    const refused = () => json(401, { error: { code: 'invalid_token', message: 'the access token is invalid' } });
    const as = (fetchImpl: typeof fetch) => new ApiClient({ baseUrl: 'http://api', token: 'tok', username: 'ana', fetch: fetchImpl, sleep: async () => {} });

    const memory = fakeFetch([refused(), readyz(['memory'])]);
    const gone = await as(memory.fetchImpl).conversations().catch((err: unknown) => err);
    assert.ok(isCliError(gone, 'account_gone'));
    assert.equal(memory.calls[1]?.url, 'http://api/readyz');
    assert.equal(
      explain(gone, shellAdvice),
      'the server at http://api keeps accounts in memory and has restarted since you logged in as ana, so that account is gone: register again with `chat4all register ana`, then log in',
    );
    assert.match(explain(gone, menuAdvice), /: choose 1 to register again, then 2 to authenticate$/);

    const durable = fakeFetch([refused(), readyz(['cassandra', 'kafka', 'redis'])]);
    const invalid = await as(durable.fetchImpl).conversations().catch((err: unknown) => err);
    assert.ok(isCliError(invalid, 'session_invalid'));
    assert.equal(explain(invalid, shellAdvice), 'the server no longer accepts your session as ana: log in again with `chat4all login ana`');
  });

  it('retries idempotent calls on 503 and 429, with the same body, and not other calls', async () => {
    const retried = fakeFetch([json(503, { error: { code: 'unavailable', message: 'later' } }), json(429, {}, { 'retry-after': '1' }), json(202, { message_id: 'm1' })]);
    assert.equal((await client(retried.fetchImpl).send('c1', 'x', 'same-id')).message_id, 'm1');
    assert.equal(retried.calls.length, 3);
    assert.deepEqual(
      retried.calls.map((c) => (c.body as { client_message_id: string }).client_message_id),
      ['same-id', 'same-id', 'same-id'],
    );
    const once = fakeFetch([json(503, { error: { code: 'unavailable', message: 'later' } })]);
    await assert.rejects(client(once.fetchImpl).openDirect('bob'), (err) => isCliError(err, 'unavailable'));
    assert.equal(once.calls.length, 1);
  });

  it('reports an unreachable server in one line, without retrying a refused connection', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { calls, fetchImpl } = fakeFetch([refused]);
    await assert.rejects(client(fetchImpl).conversations(), (err) => isCliError(err, 'unreachable') && err.message === 'cannot reach the Chat4All API at http://api (connection refused); is the server running?');
    assert.equal(calls.length, 1);
  });

  it('needs a token for authenticated calls', async () => {
    const { calls, fetchImpl } = fakeFetch([]);
    await assert.rejects(client(fetchImpl, null).me(), (err) => isCliError(err, 'not_logged_in'));
    assert.equal(calls.length, 0);
  });
});
