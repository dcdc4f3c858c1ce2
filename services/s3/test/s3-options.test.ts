import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseS3Options } from '../src/index.js';

describe('parseS3Options', () => {
  it('is undefined without an endpoint, and fills the defaults', () => {
    assert.equal(parseS3Options({}), undefined);
    assert.deepEqual(parseS3Options({ S3_ENDPOINT: 'http://objectstore:7070/', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' }), {
      endpoint: 'http://objectstore:7070',
      bucket: 'chat4all-attachments',
      region: 'us-east-1',
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
  });

  it('names the variable at fault', () => {
    const ok = { S3_ENDPOINT: 'http://o:1', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' };
    assert.throws(() => parseS3Options({ ...ok, S3_ENDPOINT: 'objectstore' }), /S3_ENDPOINT/);
    assert.throws(() => parseS3Options({ ...ok, S3_ENDPOINT: 'ftp://o' }), /S3_ENDPOINT/);
    assert.throws(() => parseS3Options({ ...ok, S3_BUCKET: 'Bad_Bucket' }), /S3_BUCKET/);
    assert.throws(() => parseS3Options({ ...ok, S3_ACCESS_KEY_ID: '' }), /S3_ACCESS_KEY_ID/);
    assert.throws(() => parseS3Options({ ...ok, S3_SECRET_ACCESS_KEY: ' ' }), /S3_SECRET_ACCESS_KEY/);
  });
});
