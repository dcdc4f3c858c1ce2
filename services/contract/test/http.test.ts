import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import {
  AddMemberBody,
  CreateAttachmentBody,
  CreateConversationBody,
  DownloadQuery,
  ErrorBody,
  HistoryQuery,
  ROUTES,
  RegisterBody,
  SendMessageBody,
  TokenBody,
  buildOpenApiDocument,
} from '../src/index.js';

const conversation = '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b';
const sha256 = 'ab'.repeat(32);

/** The first error of `value` against `schema` as `field: message`, or 'valid'. */
function verdict(schema: TSchema, value: unknown): string {
  const check = Compile(schema);
  if (check.Check(value)) return 'valid';
  const [e] = check.Errors(value);
  return `${e!.instancePath || '/'} ${e!.keyword}`;
}

describe('HTTP request schemas', () => {
  const cases: [string, TSchema, unknown, string][] = [
    ['register', RegisterBody, { username: 'alice_1', password: 'long enough', display_name: 'Alice' }, 'valid'],
    ['register, no display name', RegisterBody, { username: 'alice_1', password: 'long enough' }, 'valid'],
    ['register, password missing', RegisterBody, { username: 'alice_1' }, '/ required'],
    ['register, password a number', RegisterBody, { username: 'alice_1', password: 12345678 }, '/password type'],
    ['register, password too long', RegisterBody, { username: 'alice_1', password: 'p'.repeat(129) }, '/password maxLength'],
    ['register, display name too long', RegisterBody, { username: 'alice_1', password: 'long enough', display_name: 'd'.repeat(65) }, '/display_name maxLength'],
    ['register, blank display name', RegisterBody, { username: 'alice_1', password: 'long enough', display_name: '   ' }, '/display_name pattern'],
    ['register, upper-case username', RegisterBody, { username: 'Alice', password: 'long enough' }, '/username pattern'],
    ['register, unknown field', RegisterBody, { username: 'alice_1', password: 'long enough', display_nmae: 'A' }, '/display_nmae boolean'],
    ['token', TokenBody, { username: 'alice_1', password: 'x' }, 'valid'],
    ['token, username too long', TokenBody, { username: 'u'.repeat(65), password: 'x' }, '/username maxLength'],
    ['group', CreateConversationBody, { type: 'group', name: 'team', members: ['bob', conversation] }, 'valid'],
    ['direct', CreateConversationBody, { type: 'direct', members: ['bob'] }, 'valid'],
    ['group without a name', CreateConversationBody, { type: 'group', members: [] }, '/ required'],
    ['direct with a name', CreateConversationBody, { type: 'direct', members: ['bob'], name: 'x' }, '/ if'],
    ['direct with two members', CreateConversationBody, { type: 'direct', members: ['bob', 'carol'] }, '/ if'],
    ['another type', CreateConversationBody, { type: 'channel', name: 'x', members: [] }, '/type enum'],
    ['a member reference too long', CreateConversationBody, { type: 'group', name: 'x', members: ['m'.repeat(65)] }, '/members/0 maxLength'],
    ['add member', AddMemberBody, { user: 'bob' }, 'valid'],
    ['add member, user missing', AddMemberBody, {}, '/ required'],
    ['send', SendMessageBody, { conversation_id: conversation, content: 'hi', client_message_id: 'device-1:42' }, 'valid'],
    ['send attachments only', SendMessageBody, { conversation_id: conversation, content: '', attachments: [conversation] }, 'valid'],
    ['send empty content', SendMessageBody, { conversation_id: conversation, content: '' }, '/content minLength'],
    ['send content a number', SendMessageBody, { conversation_id: conversation, content: 5 }, '/content type'],
    ['send no attachments listed', SendMessageBody, { conversation_id: conversation, content: 'x', attachments: [] }, '/attachments minItems'],
    ['send a long client_message_id', SendMessageBody, { conversation_id: conversation, content: 'x', client_message_id: 'k'.repeat(129) }, '/client_message_id pattern'],
    ['announce a file', CreateAttachmentBody, { conversation_id: conversation, filename: 'a.png', content_type: 'image/png', size: 3, sha256 }, 'valid'],
    ['announce, a negative size', CreateAttachmentBody, { conversation_id: conversation, filename: 'a.png', size: -1, sha256 }, '/size minimum'],
    ['announce, a long file name', CreateAttachmentBody, { conversation_id: conversation, filename: 'f'.repeat(256), size: 1, sha256 }, '/filename maxLength'],
    ['announce, sha256 missing', CreateAttachmentBody, { conversation_id: conversation, filename: 'a', size: 1 }, '/ required'],
    ['history query', HistoryQuery, { limit: 20, before: conversation }, 'valid'],
    ['history query, over the limit', HistoryQuery, { limit: 201 }, '/limit maximum'],
    ['download query', DownloadQuery, { expires: 1, signature: 's' }, 'valid'],
    ['download query, a long signature', DownloadQuery, { expires: 1, signature: 's'.repeat(129) }, '/signature maxLength'],
  ];
  for (const [what, schema, value, expected] of cases) {
    it(`${what}: ${expected}`, () => assert.equal(verdict(schema, value), expected));
  }
});

describe('error bodies', () => {
  it('accept the documented shape, details optional', () => {
    assert.equal(verdict(ErrorBody, { error: { code: 'validation_failed', message: 'the request is invalid', details: [{ field: 'body.x', message: 'is not a known field' }] } }), 'valid');
    assert.equal(verdict(ErrorBody, { error: { code: 'not_found', message: 'no route GET /x' } }), 'valid');
    assert.equal(verdict(ErrorBody, { error: { message: 'no code' } }), '/error required');
  });
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>; components: { schemas: object } };

  it('has one operation per route of the table, each answering its errors in the error shape', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`));
    const routes = Object.entries(ROUTES).map(([name, r]) => `${r.method} ${r.path} ${name}`);
    assert.deepEqual(operations.sort(), routes.sort());
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const status of ['500', '503']) assert.ok(op.responses[status], `${op.operationId} documents ${status}`);
      }
    }
  });

  it('is plain JSON (no typebox markers) and names every shared object once', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
    assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['Attachment', 'AttachmentRef', 'Conversation', 'Error', 'Member', 'Message', 'PublicUser', 'User']);
    const text = JSON.stringify(doc.paths);
    for (const name of ['Attachment', 'Conversation', 'Error', 'Message', 'PublicUser', 'User']) assert.ok(text.includes(`"#/components/schemas/${name}"`), name);
  });
});
