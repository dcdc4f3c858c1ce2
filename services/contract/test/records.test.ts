import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_CONTENT_BYTES, decodeMessageRecord, decodeReceiptRecord, encodeRecord, orThrow, type Decoded, type MessageRecord } from '../src/index.js';

const id = () => randomUUID();
const good: MessageRecord = { v: 1, message_id: id(), conversation_id: id(), sender_id: id(), content: 'hi', created_at: new Date().toISOString() };
const ref = { attachment_id: id(), filename: 'a.pdf', content_type: 'application/pdf', size: 10, sha256: 'ef'.repeat(32) };

/** The refusal's code and message, or 'accepted'. */
function refusal(result: Decoded<unknown>): { code: string; message: string } | 'accepted' {
  return result.ok ? 'accepted' : { code: result.error.code, message: result.error.message };
}

const message = (v: object) => refusal(decodeMessageRecord(JSON.stringify(v)));

describe('message records', () => {
  it('decode the documented example, from a Buffer or a string, as encoded', () => {
    assert.deepEqual(orThrow(decodeMessageRecord(encodeRecord(good))), good);
    assert.deepEqual(orThrow(decodeMessageRecord(JSON.stringify(good))), good);
    const full = { ...good, client_message_id: 'device-1:42', content: '', attachments: [ref] };
    assert.deepEqual(orThrow(decodeMessageRecord(JSON.stringify(full))), full);
  });

  it('keep fields they do not know (a newer producer may add some)', () => {
    assert.deepEqual(orThrow(decodeMessageRecord(JSON.stringify({ ...good, later: true }))), { ...good, later: true });
  });

  it('refuse what is not a record of this version, with a code per fault', () => {
    assert.deepEqual(refusal(decodeMessageRecord('{')), { code: 'record_not_json', message: 'record value is not JSON' });
    assert.equal((refusal(decodeMessageRecord('[1]')) as { code: string }).code, 'record_not_object');
    assert.equal((refusal(decodeMessageRecord('x'.repeat(64 * 1024 + 1))) as { code: string }).code, 'record_too_large');
    assert.deepEqual(message({ ...good, v: 2 }), { code: 'record_version', message: 'unsupported record version 2' });
    assert.deepEqual(message({ ...good, v: undefined }), { code: 'record_version', message: 'unsupported record version undefined' });
  });

  it('refuse wrong types, missing fields and over-long strings, naming the field', () => {
    assert.deepEqual(message({ ...good, content: 5 }), { code: 'record_field', message: 'record field: content must be string' });
    const { sender_id: _, ...noSender } = good;
    assert.deepEqual(message(noSender), { code: 'record_field', message: 'record field: sender_id is required' });
    assert.deepEqual(message({ ...good, message_id: 'abc' }), { code: 'record_field', message: 'record field: message_id must match format "uuid"' });
    assert.deepEqual(message({ ...good, message_id: good.message_id.toUpperCase() }), { code: 'record_field', message: 'record field: message_id must match format "uuid"' }, 'ids are lower-case');
    assert.deepEqual(message({ ...good, client_message_id: 'k'.repeat(129) }), { code: 'record_field', message: 'record field: client_message_id must not have more than 128 characters' });
    assert.deepEqual(message({ ...good, content: 'é'.repeat(MAX_CONTENT_BYTES / 2 + 1) }), { code: 'record_field', message: `record field: content is over ${MAX_CONTENT_BYTES} UTF-8 bytes` });
    assert.equal(message({ ...good, content: 'é'.repeat(MAX_CONTENT_BYTES / 2) }), 'accepted', 'the bound is in bytes, reached exactly');
    assert.deepEqual(message({ ...good, content: 'lone \ud800 surrogate' }), { code: 'record_field', message: 'record field: content is not well-formed Unicode (a lone surrogate)' });
    assert.deepEqual(message({ ...good, created_at: 'yesterday' }), { code: 'record_field', message: 'record field: created_at must match format "date-time"' });
  });

  it('allow empty content only with attachments, bounded and well-formed', () => {
    assert.deepEqual(message({ ...good, content: '' }), { code: 'record_field', message: 'record field content is empty and there are no attachments' });
    const withFile = { ...good, content: '', attachments: [ref] };
    for (const [bad, field] of [
      [{ ...withFile, attachments: [] }, 'attachments'],
      [{ ...withFile, attachments: Array.from({ length: 11 }, () => ref) }, 'attachments'],
      [{ ...withFile, attachments: [{ ...ref, sha256: 'x' }] }, 'attachments.0.sha256'],
      [{ ...withFile, attachments: [{ ...ref, size: -1 }] }, 'attachments.0.size'],
      [{ ...withFile, attachments: [{ ...ref, size: 1.5 }] }, 'attachments.0.size'],
      [{ ...withFile, attachments: [{ ...ref, filename: '' }] }, 'attachments.0.filename'],
      [{ ...withFile, attachments: [{ ...ref, filename: 'x'.repeat(256) }] }, 'attachments.0.filename'],
    ] as const) {
      const result = decodeMessageRecord(JSON.stringify(bad));
      assert.equal(result.ok, false, field);
      if (!result.ok) assert.equal(result.error.field, field);
    }
  });
});

describe('receipt records', () => {
  const receipt = { v: 1, message_id: id(), conversation_id: id(), user_id: id(), status: 'READ', at: new Date().toISOString() } as const;

  it('decode the documented example', () => {
    assert.deepEqual(orThrow(decodeReceiptRecord(encodeRecord(receipt))), receipt);
    assert.equal(decodeReceiptRecord(JSON.stringify({ ...receipt, status: 'DELIVERED' })).ok, true);
  });

  it('refuse another status, a missing field, a long time', () => {
    assert.deepEqual(refusal(decodeReceiptRecord(JSON.stringify({ ...receipt, status: 'SENT' }))), { code: 'record_field', message: 'record field: status must be one of "DELIVERED", "READ"' });
    const { at: _, ...noAt } = receipt;
    assert.deepEqual(refusal(decodeReceiptRecord(JSON.stringify(noAt))), { code: 'record_field', message: 'record field: at is required' });
    assert.deepEqual(refusal(decodeReceiptRecord(JSON.stringify({ ...receipt, at: `${receipt.at}${' '.repeat(40)}` }))), { code: 'record_field', message: 'record field: at must not have more than 40 characters' });
  });
});

describe('orThrow', () => {
  it('throws the WireError of a refusal', () => {
    assert.throws(() => orThrow(decodeMessageRecord('{')), (e: unknown) => e instanceof Error && e.name === 'WireError' && (e as { code?: string }).code === 'record_not_json');
  });
});
