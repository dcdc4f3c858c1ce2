import { Readable, Transform, pipeline } from 'node:stream';
import { ROUTES, type AttachmentIdParams, type AttachmentLink, type CreateAttachmentBody, type DownloadQuery, type MessageIdParams } from '@chat4all/contract';
import { Chat4AllError, isChat4AllError } from '@chat4all/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { createAttachment, downloadLink, getAttachment, openDownload, uploadContent } from '../logic/attachments.js';
import { getMessage } from '../logic/messages.js';
import { callerOf } from './authenticate.js';
import type { ApiMetrics } from './metrics.js';

type IdParams = { Params: AttachmentIdParams };

/** A stream's chunks, each counted into `count` as it passes. */
async function* counted(body: AsyncIterable<Uint8Array>, count: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    count(chunk.byteLength);
    yield chunk;
  }
}

/** Content-Length as a number, when the request has a well-formed one. */
function announcedLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header !== undefined && /^\d{1,16}$/.test(header) ? Number(header) : undefined;
}

/** `filename` for Content-Disposition: ASCII fallback and the exact name in RFC 8187 form. */
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * The attachment routes under /v1 (docs/attachments.md). The upload's body is the file itself,
 * whatever its content type, handed to the blob store as a stream: it is never buffered whole.
 */
export async function attachmentRoutes(v1: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): Promise<void> {
  v1.get<{ Params: MessageIdParams }>('/messages/:id', { schema: ROUTES.getMessage.schema }, async (request) => getMessage(ctx, callerOf(request).user_id, request.params.id));

  v1.post<{ Body: CreateAttachmentBody }>('/attachments', { schema: ROUTES.createAttachment.schema }, async (request, reply) => {
    return reply.code(201).send(await createAttachment(ctx, callerOf(request).user_id, request.body));
  });

  v1.get<IdParams>('/attachments/:id', { schema: ROUTES.getAttachment.schema }, async (request) => getAttachment(ctx, callerOf(request).user_id, request.params.id));

  v1.get<IdParams>('/attachments/:id/link', { schema: ROUTES.getAttachmentLink.schema }, async (request): Promise<AttachmentLink> => {
    const link = await downloadLink(ctx, callerOf(request).user_id, request.params.id);
    return { url: `${request.protocol}://${request.host}${link.path}`, expires_at: link.expires_at };
  });

  await v1.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    upload.put<IdParams>('/attachments/:id/content', { schema: ROUTES.uploadAttachment.schema }, async (request) => {
      const body: AsyncIterable<Uint8Array> = (request.body as Readable | undefined) ?? Readable.from([]);
      const started = process.hrtime.bigint();
      let result = 'error';
      try {
        const bytes = counted(body, (n) => metrics.attachmentBytes.inc({ direction: 'in' }, n));
        const view = await uploadContent(ctx, callerOf(request).user_id, request.params.id, bytes, announcedLength(request));
        result = 'ok';
        return view;
      } catch (err) {
        // A client that went away mid-upload is not a fault of the service: nothing was kept, it may upload again.
        if (!isChat4AllError(err) && (request.raw.errored || request.raw.destroyed)) throw new Chat4AllError('invalid', 'upload_cut', 'the upload ended before its last byte; nothing was kept', { cause: err });
        throw err;
      } finally {
        metrics.attachmentTransfers.observe({ direction: 'upload', result }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    });
  });
}

/** The download of a signed link: outside the token check of /v1, since the link is the right. */
export function downloadRoute(app: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): void {
  app.get<IdParams & { Querystring: DownloadQuery }>(
    '/v1/attachments/:id/content',
    { schema: ROUTES.downloadAttachment.schema },
    async (request, reply) => {
      const { attachment, blob } = await openDownload(ctx, request.params.id, request.query.expires, request.query.signature);
      const started = process.hrtime.bigint();
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          metrics.attachmentBytes.inc({ direction: 'out' }, chunk.byteLength);
          callback(null, chunk);
        },
      });
      pipeline(blob.body, meter, (err) => {
        metrics.attachmentTransfers.observe({ direction: 'download', result: err ? 'error' : 'ok' }, Number(process.hrtime.bigint() - started) / 1e9);
        if (err) request.log.warn({ err: { message: err.message }, attachment_id: attachment.attachment_id }, 'download cut short');
      });
      return reply
        .header('content-type', attachment.content_type)
        .header('content-length', String(blob.size))
        .header('content-disposition', disposition(attachment.filename))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(meter);
    },
  );
}
