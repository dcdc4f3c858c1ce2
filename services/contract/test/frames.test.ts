import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type Decoded,
  type EventBody,
  type NewMessageBody,
  decodeClientFrame,
  decodeNotification,
  decodeServerFrame,
  encodeEventBody,
  eventPayload,
  isEvent,
  orThrow,
} from '../src/index.js';

const id = () => randomUUID();
const at = new Date().toISOString();
const refusal = (r: Decoded<unknown>) => (r.ok ? 'accepted' : { code: r.error.code, message: r.error.message });

describe('client frames', () => {
  it('decode the documented examples', () => {
    const conversation = id();
    const message = id();
    assert.deepEqual(orThrow(decodeClientFrame('{"type":"ping"}')), { type: 'ping' });
    assert.deepEqual(orThrow(decodeClientFrame(JSON.stringify({ type: 'typing', conversation_id: conversation }))), { type: 'typing', conversation_id: conversation });
    assert.deepEqual(orThrow(decodeClientFrame(JSON.stringify({ type: 'read', message_id: message }))), { type: 'read', message_id: message });
    assert.deepEqual(orThrow(decodeClientFrame('{"type":"auth","token":"a.b.c"}')), { type: 'auth', token: 'a.b.c' });
  });

  it('refuse what is not a JSON object', () => {
    assert.deepEqual(refusal(decodeClientFrame('{')), { code: 'malformed_json', message: 'frames are JSON objects' });
    assert.deepEqual(refusal(decodeClientFrame('[]')), { code: 'invalid_frame', message: 'frames are JSON objects' });
    assert.deepEqual(refusal(decodeClientFrame('"ping"')), { code: 'invalid_frame', message: 'frames are JSON objects' });
    assert.equal((refusal(decodeClientFrame(`{"type":"ping","x":"${'x'.repeat(16 * 1024)}"}`)) as { code: string }).code, 'invalid_frame');
  });

  it('refuse unknown frame types, by name', () => {
    assert.deepEqual(refusal(decodeClientFrame('{"type":"shout"}')), { code: 'unknown_frame', message: 'unknown frame type "shout"' });
    assert.deepEqual(refusal(decodeClientFrame('{"type":"toString"}')), { code: 'unknown_frame', message: 'unknown frame type "toString"' });
    assert.deepEqual(refusal(decodeClientFrame('{"type":"pong"}')), { code: 'unknown_frame', message: 'unknown frame type "pong"' }, 'a server frame is no client frame');
    assert.deepEqual(refusal(decodeClientFrame('{"conversation_id":"x"}')), { code: 'unknown_frame', message: 'a frame needs a type' });
  });

  it('refuse wrong types, missing fields and over-long strings, naming frame and field', () => {
    assert.deepEqual(refusal(decodeClientFrame('{"type":"typing"}')), { code: 'invalid_frame', message: 'typing frame: conversation_id is required' });
    assert.deepEqual(refusal(decodeClientFrame('{"type":"typing","conversation_id":7}')), { code: 'invalid_frame', message: 'typing frame: conversation_id must be string' });
    assert.deepEqual(refusal(decodeClientFrame('{"type":"read","message_id":"nope"}')), { code: 'invalid_frame', message: 'read frame: message_id must match format "uuid"' });
    assert.deepEqual(refusal(decodeClientFrame(JSON.stringify({ type: 'auth', token: 't'.repeat(4097) }))), {
      code: 'invalid_frame',
      message: 'auth frame: token must not have more than 4096 characters',
    });
  });
});

const newMessage: NewMessageBody = { type: 'new_message', message_id: id(), conversation_id: id(), sender_id: id(), content: 'hi "there"', created_at: at };
const status: EventBody = { type: 'message_status', message_id: id(), conversation_id: id(), user_id: id(), status: 'READ', at };

describe('event payloads', () => {
  it('encode a body with its type first, so the broker can splice the event id in', () => {
    const reordered = { content: 'x', created_at: at, sender_id: id(), conversation_id: id(), message_id: id(), type: 'new_message' } as const;
    assert.ok(encodeEventBody(reordered).startsWith('{"type":"new_message",'));
    const payload = eventPayload('1700000000000-3', encodeEventBody(newMessage));
    assert.ok(payload.startsWith('{"event_id":"1700000000000-3","type":"new_message",'));
    assert.deepEqual(JSON.parse(payload), { event_id: '1700000000000-3', ...newMessage });
  });

  it('decode as typed notifications, events and ephemeral frames alike', () => {
    const event = orThrow(decodeNotification(eventPayload('5-0', encodeEventBody(newMessage))));
    assert.ok(isEvent(event));
    assert.equal(event.event_id, '5-0');
    assert.equal(event.type === 'new_message' && event.content, 'hi "there"');
    const receipt = orThrow(decodeNotification(eventPayload('6-1', encodeEventBody(status))));
    assert.equal(receipt.type, 'message_status');
    const typing = orThrow(decodeNotification(JSON.stringify({ type: 'typing', conversation_id: id(), user_id: id() })));
    assert.equal(isEvent(typing), false);
    assert.equal(decodeNotification(JSON.stringify({ type: 'presence', user_id: id(), status: 'online', at })).ok, true);
  });

  it('refuse a payload no broker publishes, saying why', () => {
    assert.deepEqual(refusal(decodeNotification('nope')), { code: 'notification_not_json', message: 'a notification is not JSON' });
    assert.deepEqual(refusal(decodeNotification(encodeEventBody(newMessage))), { code: 'invalid_frame', message: 'new_message frame: event_id is required' });
    assert.deepEqual(refusal(decodeNotification(eventPayload('not-an-id', encodeEventBody(newMessage)))), {
      code: 'invalid_frame',
      message: 'new_message frame: event_id must match pattern "^\\d{1,15}-\\d{1,15}$"',
    });
    assert.deepEqual(refusal(decodeNotification(JSON.stringify({ type: 'presence', user_id: id(), status: 'away', at }))), {
      code: 'invalid_frame',
      message: 'presence frame: status must be one of "online", "offline"',
    });
    assert.deepEqual(refusal(decodeNotification('{"type":"connected"}')), { code: 'unknown_frame', message: 'unknown frame type "connected"' });
  });
});

describe('server frames', () => {
  it('decode every frame a client gets, and ignore fields they do not know', () => {
    const user = id();
    for (const frame of [
      { type: 'connected', user_id: user, connection_id: 'c1', server_time: at, recovered: true },
      { event_id: '1-0', ...newMessage, attachments: [{ attachment_id: id(), filename: 'a.png', content_type: 'image/png', size: 3, sha256: 'ab'.repeat(32) }] },
      { event_id: '1-1', ...status },
      { type: 'typing', conversation_id: id(), user_id: user },
      { type: 'presence', user_id: user, status: 'offline', at },
      { type: 'error', code: 'rate_limited', message: 'slow down' },
      { type: 'pong' },
      { type: 'pong', later: 1 },
    ]) {
      assert.deepEqual(orThrow(decodeServerFrame(JSON.stringify(frame))), frame);
    }
  });

  it('refuse unknown types and malformed frames', () => {
    assert.deepEqual(refusal(decodeServerFrame('{"type":"ping"}')), { code: 'unknown_frame', message: 'unknown frame type "ping"' });
    assert.deepEqual(refusal(decodeServerFrame('{"type":"connected","user_id":"x"}')), { code: 'invalid_frame', message: 'connected frame: connection_id is required' });
    assert.deepEqual(refusal(decodeServerFrame('{"type":"error","code":1,"message":"m"}')), { code: 'invalid_frame', message: 'error frame: code must be string' });
  });
});
