/** Input at the HTTP edge: text that is not well-formed Unicode, framework errors, and the OpenAPI document agreeing with the code. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TOPIC_MESSAGES } from '@chat4all/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { appended, createGroup, errorOf, harness, signUp, uniqueName, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let a: SignedUp;
let b: SignedUp;
before(async () => {
  h = await harness();
  [a, b] = [await signUp(h), await signUp(h)];
});
after(() => h.close());

const LONE = '\\ud800';

describe('text that is not well-formed Unicode', () => {
  it('is refused with 400 invalid_text in every text field, and changes nothing', async () => {
    const conv = (await createGroup(h, a, [b])).conversation_id;
    const cases: [string, string, string, string][] = [
      ['/v1/messages', `{"conversation_id":"${conv}","content":"${LONE}x"}`, 'body.content', 'a message'],
      ['/v1/messages', `{"conversation_id":"${conv}","content":"x\\udc00"}`, 'body.content', 'a trailing low surrogate'],
      ['/v1/conversations', `{"type":"group","name":"g${LONE}","members":[]}`, 'body.name', 'a group name'],
      ['/v1/conversations', `{"type":"group","name":"g","members":["${LONE}"]}`, 'body.members.0', 'a member reference'],
      ['/auth/register', `{"username":"u${LONE}","password":"long enough"}`, 'body.username', 'a username'],
      ['/auth/register', `{"username":"${uniqueName()}","password":"long enough","display_name":"d${LONE}"}`, 'body.display_name', 'a display name'],
      ['/auth/token', `{"username":"${a.user.username}","password":"p${LONE}"}`, 'body.password', 'a password'],
    ];
    const groupsBefore = (await h.conversations.listForUser(a.user.user_id, 100)).length;
    for (const [url, payload, field, what] of cases) {
      const res = await h.inject({ method: 'POST', url, headers: { ...a.headers, 'content-type': 'application/json' }, payload });
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      const err = errorOf(res);
      assert.equal(err.code, 'invalid_text', what);
      assert.deepEqual(err.details?.map((d) => d.field), [field], what);
    }
    assert.equal(appended(h.eventLog, TOPIC_MESSAGES).length, 0);
    assert.equal((await h.conversations.listForUser(a.user.user_id, 100)).length, groupsBefore);
    const paired = await h.inject({ method: 'POST', url: '/v1/messages', headers: { ...a.headers, 'content-type': 'application/json' }, payload: `{"conversation_id":"${conv}","content":"\\ud83c\\udf89"}` });
    assert.equal(paired.statusCode, 202, 'a surrogate pair (🎉) is well-formed');
  });
});

interface Operation {
  method: string;
  path: string;
  responses: Record<string, unknown>;
  security?: unknown;
}

async function operations(): Promise<Operation[]> {
  const doc = (await h.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> }>();
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })));
}

describe('framework errors', () => {
  it('answer every route with a path parameter in the error shape and a documented status, with or without a token', async () => {
    const withParams = (await operations()).filter((op) => op.path.includes('{'));
    assert.ok(withParams.length >= 6, `${withParams.length} routes with path parameters`);
    for (const op of withParams) {
      for (const param of ['x'.repeat(101), 'y'.repeat(5000), '%zz', '%E0%A4%A', 'not-a-uuid']) {
        for (const headers of [a.headers, {}]) {
          const url = op.path.replace(/\{[^}]+\}/g, param);
          const res = await h.inject({ method: op.method as 'GET', url, headers });
          const what = `${op.method} ${url.slice(0, 60)} ${headers === a.headers ? 'with' : 'without'} a token: ${res.statusCode} ${res.body.slice(0, 100)}`;
          assert.ok(Object.keys(op.responses).includes(String(res.statusCode)), `documented status: ${what}`);
          assert.ok(res.statusCode >= 400 && res.statusCode < 500, what);
          errorOf(res);
          // Routes without `security` (an attachment's download link) need no token.
          if (headers !== a.headers && op.security) assert.equal(res.statusCode === 401 || errorOf(res).code === 'malformed_url', true, `no token: 401 unless the URL itself is malformed: ${what}`);
        }
      }
    }
  });
});

describe('the OpenAPI document', () => {
  it('says what the code enforces: content is not empty, a group needs a name, a direct conversation one member and none', async () => {
    const doc = (await h.inject({ method: 'GET', url: '/openapi.json' })).json<any>();
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const body = (path: string) => ajv.compile(doc.paths[path].post.requestBody.content['application/json'].schema);
    const send = body('/v1/messages');
    const create = body('/v1/conversations');
    const conv = '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b';
    const cases: [typeof send, object, boolean][] = [
      [send, { conversation_id: conv, content: '' }, false],
      [send, { conversation_id: conv, content: 'x' }, true],
      [send, { conversation_id: conv, content: '', attachments: [conv] }, true],
      [send, { conversation_id: conv, content: 'x', attachments: [] }, false],
      [create, { type: 'group', members: [] }, false],
      [create, { type: 'group', name: '   ', members: [] }, false],
      [create, { type: 'group', name: 'g', members: [] }, true],
      [create, { type: 'direct', members: ['bob'], name: 'x' }, false],
      [create, { type: 'direct', members: ['bob', 'carol'] }, false],
      [create, { type: 'direct', members: [] }, false],
      [create, { type: 'direct', members: ['bob'] }, true],
    ];
    for (const [validate, value, valid] of cases) {
      assert.equal(validate(value), valid, `the document says ${JSON.stringify(value)} is ${valid ? 'valid' : 'invalid'}`);
      const url = validate === send ? '/v1/messages' : '/v1/conversations';
      if (!valid) {
        const res = await h.inject({ method: 'POST', url, headers: a.headers, payload: value });
        assert.equal(res.statusCode, 400, `and the code refuses it: ${JSON.stringify(value)} ${res.body}`);
      }
    }
  });
});
