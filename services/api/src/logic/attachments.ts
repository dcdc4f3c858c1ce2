import { MAX_ATTACHMENTS_PER_MESSAGE, type AttachmentLink, type CreateAttachmentBody, type Attachment as WireAttachment } from '@chat4all/contract';
import { Chat4AllError, conflict, forbidden, invalid, isChat4AllError, isUuid, notFound, type Attachment, type AttachmentRef, type BlobObject } from '@chat4all/core';
import { isoNow, type ApiContext } from '../context.js';
import { memberConversation, memberConversationOf } from './conversations.js';

/** An attachment as the api shows it (the contract's answer), with upload_url while it is pending. */
export type AttachmentView = WireAttachment;

/** Internal: the answer carries an absolute url, which only the route can build (it knows the host). */
export type DownloadLink = Omit<AttachmentLink, 'url'> & {
  /** The path and query of the link; the route makes it absolute. */
  path: string;
};

const attachmentNotFound = () => notFound('attachment_not_found', 'the attachment does not exist');
const notSendable = (id: string, why: string) =>
  invalid('attachment_not_sendable', `attachment ${id} cannot be sent: ${why}`, [{ field: 'body.attachments', message: `${id}: ${why}` }]);
export const tooLarge = (size: number, max: number) =>
  new Chat4AllError('too_large', 'attachment_too_large', `the file is ${size} bytes, over the bound of ${max} bytes`);

/** The last segment of a path as a file name, or undefined when nothing usable is left. */
export function cleanFilename(name: string): string | undefined {
  const last = name.split(/[/\\]/).pop()!.trim();
  if (last === '' || last === '.' || last === '..') return undefined;
  return last;
}

/** The attachment's record, or 503 when its store cannot answer. */
async function find(ctx: ApiContext, attachmentId: string): Promise<Attachment | undefined> {
  if (!isUuid(attachmentId)) return undefined;
  return ctx.attachments.get(attachmentId);
}

/** The attachment when the caller may see it: a member of its conversation; a pending one, its uploader only. */
async function visible(ctx: ApiContext, callerId: string, attachmentId: string): Promise<Attachment> {
  const a = await find(ctx, attachmentId);
  if (!a) throw attachmentNotFound();
  if (a.state === 'pending' && a.uploader_id !== callerId) throw attachmentNotFound();
  await memberConversationOf(ctx, callerId, a.conversation_id, attachmentNotFound);
  return a;
}

function view(a: Attachment): AttachmentView {
  return a.state === 'pending' ? { ...a, upload_url: `/v1/attachments/${a.attachment_id}/content` } : a;
}

/** Records a new attachment, pending until its bytes are uploaded. Members only; sizes bounded. */
export async function createAttachment(ctx: ApiContext, callerId: string, input: CreateAttachmentBody): Promise<AttachmentView> {
  const filename = cleanFilename(input.filename);
  if (filename === undefined) throw invalid('validation_failed', 'the request is invalid', [{ field: 'body.filename', message: 'must name a file' }]);
  if (input.size > ctx.attachmentLimits.maxBytes) throw tooLarge(input.size, ctx.attachmentLimits.maxBytes);
  await memberConversation(ctx, callerId, input.conversation_id);
  const now = ctx.now();
  const attachment: Attachment = {
    attachment_id: ctx.ids.next(),
    conversation_id: input.conversation_id,
    uploader_id: callerId,
    filename,
    content_type: input.content_type ?? 'application/octet-stream',
    size: input.size,
    sha256: input.sha256,
    state: 'pending',
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + ctx.attachmentLimits.unsentTtlSeconds * 1000).toISOString(),
  };
  await ctx.attachments.create(attachment);
  return view(attachment);
}

/**
 * Stores the bytes of a pending attachment of the caller's, checked against its size and SHA-256
 * as they stream; then it is ready. A body that fails a check leaves the attachment pending and
 * nothing stored. `announcedBytes` (Content-Length) over the size is refused before reading.
 */
export async function uploadContent(ctx: ApiContext, callerId: string, attachmentId: string, body: AsyncIterable<Uint8Array>, announcedBytes?: number): Promise<AttachmentView> {
  const a = await find(ctx, attachmentId);
  if (!a || a.uploader_id !== callerId) throw attachmentNotFound();
  if (a.state === 'ready') throw conflict('attachment_already_uploaded', 'the attachment has its bytes already');
  if (announcedBytes !== undefined && announcedBytes > a.size) {
    throw new Chat4AllError('too_large', 'attachment_too_large', `the body is ${announcedBytes} bytes, over the ${a.size} announced`);
  }
  try {
    await ctx.blobs.put(a.attachment_id, body, { size: a.size, sha256: a.sha256 });
  } catch (err) {
    if (isChat4AllError(err, 'too_large')) throw new Chat4AllError('too_large', 'attachment_too_large', err.message, { cause: err });
    throw err;
  }
  const ready = await ctx.attachments.markReady(a.attachment_id, isoNow(ctx));
  if (!ready) throw attachmentNotFound();
  return view(ready);
}

/** An attachment the caller may see. */
export async function getAttachment(ctx: ApiContext, callerId: string, attachmentId: string): Promise<AttachmentView> {
  return view(await visible(ctx, callerId, attachmentId));
}

/** A download link for a ready attachment of one of the caller's conversations. */
export async function downloadLink(ctx: ApiContext, callerId: string, attachmentId: string): Promise<DownloadLink> {
  const a = await visible(ctx, callerId, attachmentId);
  if (a.state !== 'ready') throw conflict('attachment_pending', 'the attachment has no bytes yet');
  const expires = Math.floor(ctx.now() / 1000) + ctx.attachmentLimits.linkTtlSeconds;
  const signature = ctx.links.sign(a.attachment_id, expires);
  return { path: `/v1/attachments/${a.attachment_id}/content?expires=${expires}&signature=${signature}`, expires_at: new Date(expires * 1000).toISOString() };
}

/** Checks a link and opens the bytes it names. */
export async function openDownload(ctx: ApiContext, attachmentId: string, expires: number, signature: string): Promise<{ attachment: Attachment; blob: BlobObject }> {
  if (!isUuid(attachmentId) || !ctx.links.check(attachmentId, expires, signature)) throw forbidden('link_invalid', 'the link is not one this service made');
  if (expires * 1000 <= ctx.now()) throw forbidden('link_expired', 'the link has expired; ask for a new one');
  const a = await find(ctx, attachmentId);
  const blob = a?.state === 'ready' ? await ctx.blobs.get(a.attachment_id) : undefined;
  if (!a || !blob) throw attachmentNotFound();
  return { attachment: a, blob };
}

/**
 * The references a message of `senderId` in `conversationId` may carry for `ids`: each ready,
 * uploaded by the sender into that conversation, none twice (else 404 `attachment_not_found` for
 * one that is not the sender's upload, 409 `attachment_not_ready` for one without its bytes or past
 * its time, 400 `attachment_not_sendable` for one of another conversation or listed twice). Marks them sent (kept from now on)
 * before the message is appended, so a sweep never removes what a message carries.
 */
export async function sendableAttachments(ctx: ApiContext, senderId: string, conversationId: string, ids: string[]): Promise<AttachmentRef[]> {
  if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE) throw invalid('validation_failed', 'the request is invalid', [{ field: 'body.attachments', message: `at most ${MAX_ATTACHMENTS_PER_MESSAGE}` }]);
  if (new Set(ids).size !== ids.length) throw notSendable(ids.find((id, i) => ids.indexOf(id) !== i)!, 'it is listed twice');
  const found = await Promise.all(ids.map((id) => find(ctx, id)));
  const at = isoNow(ctx);
  const refs: AttachmentRef[] = [];
  for (const [i, a] of found.entries()) {
    const id = ids[i]!;
    if (!a || a.uploader_id !== senderId) throw notFound('attachment_not_found', `attachment ${id} is no upload of yours`);
    if (a.conversation_id !== conversationId) throw notSendable(id, 'it was uploaded into another conversation');
    if (a.state !== 'ready') throw conflict('attachment_not_ready', `attachment ${id} has no bytes yet: upload them first`);
    if (a.sent_at === undefined && Date.parse(a.expires_at) <= ctx.now()) throw conflict('attachment_not_ready', `attachment ${id} waited too long to be sent and is removed`);
    refs.push({ attachment_id: a.attachment_id, filename: a.filename, content_type: a.content_type, size: a.size, sha256: a.sha256 });
  }
  await Promise.all(found.map((a) => ctx.attachments.markSent(a!, at)));
  return refs;
}

/**
 * Removes the attachments never sent whose time ran out (bytes first, then the record), and the
 * parts of uploads a stopped process left behind an hour ago or more. Safe on every replica at once.
 */
export async function sweepAttachments(ctx: ApiContext, batch = 500): Promise<number> {
  const now = ctx.now();
  const expired = await ctx.attachments.expired(new Date(now).toISOString(), batch);
  for (const a of expired) {
    await ctx.blobs.delete(a.attachment_id);
    await ctx.attachments.remove(a);
  }
  await ctx.blobs.removeIncomplete(new Date(now - 3600_000));
  return expired.length;
}
