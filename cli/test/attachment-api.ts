/**
 * A stand-in for the attachment routes of the HTTP API (docs/attachments.md), in memory, for the
 * fast tier: it checks what the CLI sends (sizes, SHA-256, headers) as the real api does, and can
 * be told to misbehave (send other bytes on download). The real api runs in the e2e tests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attachment, Conversation, Message } from '@chat4all/contract';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export class AttachmentApi {
  readonly requests: SeenRequest[] = [];
  readonly attachments = new Map<string, Attachment & { bytes?: Buffer }>();
  readonly messages = new Map<string, Message>();
  /** The largest file accepted. */
  maxBytes = 2 * 1024 ** 3;
  /** When set, downloads send these bytes instead of the file's. */
  corruptDownloads: Buffer | undefined;
  /** How many uploads to come are answered 503 (after their bytes are read). */
  failUploads = 0;
  /** Uploads are checked as they stream and their bytes not kept (for large ones). */
  discardUploads = false;
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      this.handle(req, res).catch((err: unknown) => send(res, 500, { error: { code: 'internal', message: String(err) } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A message with files, as if someone had sent them. */
  addMessage(files: { filename: string; bytes: Buffer }[], content = ''): Message {
    const refs = files.map(({ filename, bytes }) => {
      const attachment = this.record({ conversation_id: 'c1', filename, content_type: 'application/octet-stream', size: bytes.length, sha256: sha256(bytes) });
      Object.assign(attachment, { state: 'ready', bytes });
      return { attachment_id: attachment.attachment_id, filename, content_type: attachment.content_type, size: attachment.size, sha256: attachment.sha256 };
    });
    const message: Message = { message_id: randomUUID(), conversation_id: 'c1', sender_id: 'u2', content, attachments: refs, created_at: new Date().toISOString(), status: 'SENT' };
    this.messages.set(message.message_id, message);
    return message;
  }

  private record(fields: Pick<Attachment, 'conversation_id' | 'filename' | 'content_type' | 'size' | 'sha256'>): Attachment & { bytes?: Buffer } {
    const now = new Date().toISOString();
    const attachment = { ...fields, attachment_id: randomUUID(), uploader_id: 'u1', state: 'pending' as const, created_at: now, expires_at: now };
    this.attachments.set(attachment.attachment_id, attachment);
    return attachment;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, v1, kind, id, sub] = url.pathname.split('/');
    const authed = req.headers.authorization?.startsWith('Bearer ');
    if (v1 !== 'v1') return send(res, 404, { error: { code: 'not_found', message: 'no route' } });
    if (kind === 'attachments' && sub === 'content' && req.method === 'GET') return this.content(id!, url, res);
    if (!authed) return send(res, 401, { error: { code: 'unauthorized', message: 'no token' } });
    if (kind === 'attachments' && !id && req.method === 'POST') {
      const body = JSON.parse(await text(req)) as Pick<Attachment, 'conversation_id' | 'filename' | 'content_type' | 'size' | 'sha256'>;
      if (body.size > this.maxBytes) return send(res, 413, { error: { code: 'attachment_too_large', message: `the file is ${body.size} bytes, over the bound of ${this.maxBytes} bytes` } });
      const attachment = this.record(body);
      return send(res, 201, { ...attachment, upload_url: `/v1/attachments/${attachment.attachment_id}/content` });
    }
    const attachment = id ? this.attachments.get(id) : undefined;
    if (kind === 'attachments' && sub === 'content' && req.method === 'PUT') {
      if (!attachment) return send(res, 404, { error: { code: 'attachment_not_found', message: 'the attachment does not exist' } });
      if (this.discardUploads) {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of req) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        if (size !== attachment.size || hash.digest('hex') !== attachment.sha256) return send(res, 400, { error: { code: 'blob_checksum_mismatch', message: 'size or sha256' } });
        Object.assign(attachment, { state: 'ready' });
        return send(res, 200, attachment);
      }
      const bytes = Buffer.concat(await chunks(req));
      if (this.failUploads > 0) {
        this.failUploads--;
        return send(res, 503, { error: { code: 'unavailable', message: 'the blob store cannot be reached' } });
      }
      if (bytes.length !== attachment.size) return send(res, 400, { error: { code: 'blob_size_mismatch', message: 'size' } });
      if (sha256(bytes) !== attachment.sha256) return send(res, 400, { error: { code: 'blob_checksum_mismatch', message: 'sha256' } });
      Object.assign(attachment, { state: 'ready', bytes, ready_at: new Date().toISOString() });
      return send(res, 200, { ...attachment, bytes: undefined });
    }
    if (kind === 'attachments' && sub === 'link' && req.method === 'GET') {
      if (!attachment) return send(res, 404, { error: { code: 'attachment_not_found', message: 'the attachment does not exist' } });
      return send(res, 200, { url: `${this.url}/v1/attachments/${attachment.attachment_id}/content?expires=9&signature=good`, expires_at: new Date().toISOString() });
    }
    if (kind === 'conversations' && !id && req.method === 'GET') return send(res, 200, { conversations: [CONVERSATION] });
    if (kind === 'messages' && id && req.method === 'GET') {
      const message = this.messages.get(id);
      return message ? send(res, 200, message) : send(res, 404, { error: { code: 'message_not_found', message: 'the message does not exist' } });
    }
    if (kind === 'messages' && !id && req.method === 'POST') {
      const body = JSON.parse(await text(req)) as { conversation_id: string; content: string; attachments?: string[] };
      const refs = (body.attachments ?? []).map((a) => this.attachments.get(a));
      if (refs.some((a) => a === undefined)) return send(res, 404, { error: { code: 'attachment_not_found', message: 'no upload of yours' } });
      if (refs.some((a) => a!.state !== 'ready')) return send(res, 409, { error: { code: 'attachment_not_ready', message: 'not uploaded yet' } });
      const message: Message = {
        message_id: randomUUID(),
        conversation_id: body.conversation_id,
        sender_id: 'u1',
        content: body.content,
        attachments: refs.map((a) => ({ attachment_id: a!.attachment_id, filename: a!.filename, content_type: a!.content_type, size: a!.size, sha256: a!.sha256 })),
        created_at: new Date().toISOString(),
        status: 'ACCEPTED',
      };
      this.messages.set(message.message_id, message);
      return send(res, 202, { message_id: message.message_id, conversation_id: message.conversation_id, status: 'ACCEPTED', created_at: message.created_at });
    }
    return send(res, 404, { error: { code: 'not_found', message: 'no route' } });
  }

  private content(id: string, url: URL, res: ServerResponse): void {
    const attachment = this.attachments.get(id);
    if (url.searchParams.get('signature') !== 'good' || !attachment?.bytes) return send(res, 403, { error: { code: 'link_invalid', message: 'the link is not valid' } });
    const bytes = this.corruptDownloads ?? attachment.bytes;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
  }
}

/** The one conversation of the stand-in: alice (u1, the caller) and bob (u2). */
export const CONVERSATION: Conversation = {
  conversation_id: 'c1',
  type: 'direct',
  name: null,
  members: [
    { user_id: 'u1', username: 'alice', display_name: 'alice', online: false },
    { user_id: 'u2', username: 'bob', display_name: 'bob', online: false },
  ],
  admins: [],
  created_at: '2025-01-05T12:00:00.000Z',
  last_activity_at: '2025-01-05T12:00:00.000Z',
};

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function chunks(req: IncomingMessage): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of req) all.push(chunk as Buffer);
  return all;
}

async function text(req: IncomingMessage): Promise<string> {
  return Buffer.concat(await chunks(req)).toString('utf8');
}
