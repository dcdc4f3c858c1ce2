/**
 * Attachments on the kind cluster, through the ingress only: a file of a few MB uploaded by one
 * user, sent with a message, pushed to the other with its metadata, and downloaded by link with
 * the same bytes; the bytes are on the object store's volume, and stay there when its pod is
 * deleted and comes back. Run by `make test-cluster` before the Prometheus test, whose dashboard
 * queries need the transfers these make.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { waitFor } from '@chat4all/core/testing';
import { CLUSTER_ENV, Device, type IngressHttp, NAMESPACE, getJson, kubectl, podMetrics, podsOf, signUp, waitReady } from './support.js';

const STORE = 'chat4all-objectstore';
const SIZE = 5 * 1024 * 1024 + 123;

const devices: Device[] = [];
after(() => devices.forEach((d) => d.stop()));

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The path and query of a link (the api may answer a path or a whole URL). */
function pathOf(url: string): string {
  const u = new URL(url, 'https://link.invalid');
  return `${u.pathname}${u.search}`;
}

/** Asks for a link as `http`'s user and downloads it with no bearer token: the link is the right. */
async function download(http: IngressHttp, attachmentId: string): Promise<{ body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  const link = await http.call('GET', `/v1/attachments/${attachmentId}/link`);
  assert.equal(link.status, 200, JSON.stringify(link.body));
  const got = await http.raw('GET', pathOf(link.body.url), undefined, {}, { anonymous: true, timeoutMs: 120_000 });
  assert.equal(got.status, 200, got.body.subarray(0, 300).toString());
  return got;
}

/** sha256 of every file on the object store's volume (on its node) whose size is `size` bytes. */
function filesOnVolume(size: number): string[] {
  const pvName = getJson('pvc', `data-${STORE}-0`).spec.volumeName;
  const pv = JSON.parse(kubectl(['get', 'pv', pvName, '-o', 'json']).stdout);
  const path: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
  const node = podsOf(STORE)[0]!.node;
  const r = spawnSync('docker', ['exec', node, 'sh', '-c', `find '${path}' -type f -size ${size}c -exec sha256sum {} +`], { env: CLUSTER_ENV, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!);
}

describe('attachments on the kind cluster', { timeout: 600_000 }, () => {
  const bytes = randomBytes(SIZE);
  const digest = sha256(bytes);
  let attachmentId = '';
  let bob: Awaited<ReturnType<typeof signUp>>;

  it('uploads a file, sends it, pushes its metadata and downloads the same bytes by link, all through the ingress', async () => {
    const alice = await signUp('alice_files');
    bob = await signUp('bob_files');
    const bobDevice = await new Device(bob.token).start();
    devices.push(bobDevice);
    const conv = await alice.http.call('POST', '/v1/conversations', { type: 'direct', members: [bob.username] });
    assert.equal(conv.status, 201, JSON.stringify(conv.body));
    const conversationId = conv.body.conversation_id;

    const created = await alice.http.call('POST', '/v1/attachments', { conversation_id: conversationId, filename: 'holiday.bin', content_type: 'application/octet-stream', size: SIZE, sha256: digest });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    attachmentId = created.body.attachment_id;
    const put = await alice.http.raw('PUT', created.body.upload_url, bytes, { 'content-type': 'application/octet-stream' }, { timeoutMs: 120_000 });
    assert.equal(put.status, 200, put.body.toString());
    assert.equal(JSON.parse(put.body.toString()).state, 'ready');

    const sent = await alice.http.call('POST', '/v1/messages', { conversation_id: conversationId, content: 'the photos', attachments: [attachmentId] });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const frame = await bobDevice.next((f) => f.type === 'new_message' && f.message_id === sent.body.message_id, 'the push with the attachment', 60_000);
    assert.deepEqual(frame.attachments, [{ attachment_id: attachmentId, filename: 'holiday.bin', content_type: 'application/octet-stream', size: SIZE, sha256: digest }]);

    const got = await download(bob.http, attachmentId);
    assert.equal(got.body.length, SIZE);
    assert.equal(sha256(got.body), digest);
    assert.match(String(got.headers['content-disposition']), /^attachment/);
  });

  it('keeps the bytes on the object store\u2019s volume, not in the api', () => {
    assert.ok(attachmentId, 'the upload above');
    assert.deepEqual(filesOnVolume(SIZE).filter((d) => d === digest), [digest]);
  });

  it('counts the transfers in the api\u2019s attachment metrics', () => {
    const text = podsOf('chat4all-api').map((p) => podMetrics(p.name)).join('\n');
    const counted = (direction: string) =>
      [...text.matchAll(new RegExp(`^attachment_bytes_total\\{[^}]*direction="${direction}"[^}]*\\} ([0-9.eE+-]+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    assert.ok(counted('in') >= SIZE, `in: ${counted('in')}`);
    assert.ok(counted('out') >= SIZE, `out: ${counted('out')}`);
    assert.match(text, /^attachment_transfer_duration_seconds_count\{[^}]*direction="upload"/m);
  });

  it('still serves the file after the object store\u2019s pod is deleted and back: its volume kept it', async () => {
    assert.ok(attachmentId, 'the upload above');
    const before = podsOf(STORE)[0]!;
    kubectl(['-n', NAMESPACE, 'delete', 'pod', before.name, '--wait=true', '--timeout=120s']);
    const [after] = await waitReady(STORE, 1, 180_000);
    assert.notEqual(after!.uid, before.uid, 'a new pod');
    // The api may answer 503 for a moment while its connections to the old pod are dropped.
    const got = await waitFor(async () => {
      try {
        return await download(bob.http, attachmentId);
      } catch {
        return undefined;
      }
    }, 'the download after the restart', 120_000, 2000);
    assert.equal(sha256(got.body), digest);
  });
});
