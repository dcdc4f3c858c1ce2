import { type ClientFrame, isUuid } from '@chat4all/core';

/** Parses a client frame; returns an error code and message when it is not a valid one. */
export function parseClientFrame(data: string): ClientFrame | { error: string; message: string } {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { error: 'malformed_json', message: 'frames are JSON objects' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'invalid_frame', message: 'frames are JSON objects' };
  const f = v as Record<string, unknown>;
  switch (f.type) {
    case 'ping':
      return { type: 'ping' };
    case 'typing':
      return isUuid(f.conversation_id) ? { type: 'typing', conversation_id: f.conversation_id } : { error: 'invalid_frame', message: 'typing needs a conversation_id' };
    case 'read':
      return isUuid(f.message_id) ? { type: 'read', message_id: f.message_id } : { error: 'invalid_frame', message: 'read needs a message_id' };
    case 'auth':
      return typeof f.token === 'string' && f.token.length <= 4096 ? { type: 'auth', token: f.token } : { error: 'invalid_frame', message: 'auth needs a token' };
    default:
      return { error: 'unknown_frame', message: `unknown frame type ${JSON.stringify(f.type)?.slice(0, 40)}` };
  }
}
