import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT_USAGE, isCliError } from './errors.js';
import { hashFile, placeWithoutOverwrite, safeFilename, temporaryPath, type LocalFile } from './local-files.js';
import type { ProgressReporter } from './progress.js';
import type { Attachment, AttachmentRef, Message } from '@chat4all/contract';

/** Files one message may carry (the API's bound). */
export const MAX_FILES_PER_MESSAGE = 10;

export interface TransferOptions {
  progress: ProgressReporter;
  /** Stops the transfer (Ctrl+C): a download's temporary file is removed. */
  signal?: AbortSignal;
}

/**
 * Sends each file's bytes into a conversation, one after the other: reads it once to learn its
 * SHA-256, announces it (POST /v1/attachments), then streams it to its upload_url. Answers the
 * ready attachments, in order, to be sent with a message. A file the API refuses (too large, say)
 * fails with the API's code and a message that names the file.
 */
export async function uploadFiles(api: ApiClient, conversationId: string, files: readonly LocalFile[], options: TransferOptions): Promise<Attachment[]> {
  const uploaded: Attachment[] = [];
  for (const file of files) {
    const { sha256, size } = await withBar(options.progress, `reading ${file.filename}`, file.size, (advance) => hashFile(file.path, advance, options.signal));
    const created = await named(file.filename, () => api.createAttachment({ conversation_id: conversationId, filename: file.filename, content_type: file.contentType, size, sha256 }));
    const uploadUrl = created.upload_url ?? `/v1/attachments/${encodeURIComponent(created.attachment_id)}/content`;
    const ready = await withBar(options.progress, `uploading ${file.filename}`, size, (advance, restart) =>
      named(file.filename, () =>
        api.uploadContent(uploadUrl, { size, open: () => createReadStream(file.path, options.signal ? { signal: options.signal } : {}), onBytes: advance, onRestart: restart }, options.signal),
      ),
    );
    uploaded.push(ready);
  }
  return uploaded;
}

/** A file written by `downloadAttachments`. */
export interface SavedFile extends AttachmentRef {
  /** The absolute path it was written to. */
  path: string;
}

/**
 * Writes a message's files into `dir` (made if missing), one after the other. Each is streamed to
 * a temporary file in `dir` while its SHA-256 is computed, and given its name (sanitized, never
 * replacing a file: `name (1).ext` when taken) only once its size and SHA-256 are those of the
 * message; otherwise the temporary file is removed and the download fails. `onSaved` hears of each
 * file as it is saved (earlier ones stay when a later one fails).
 */
export async function downloadAttachments(api: ApiClient, message: Message, dir: string, options: TransferOptions & { onSaved?: (file: SavedFile) => void }): Promise<SavedFile[]> {
  const files = message.attachments ?? [];
  if (files.length === 0) throw new CliError('no_attachments', `message ${message.message_id} has no files`);
  const target = await outputDirectory(dir);
  const saved: SavedFile[] = [];
  for (const ref of files) {
    const file = { ...ref, path: await named(ref.filename, () => downloadOne(api, ref, target, options)) };
    saved.push(file);
    options.onSaved?.(file);
  }
  return saved;
}

async function downloadOne(api: ApiClient, ref: AttachmentRef, dir: string, options: TransferOptions): Promise<string> {
  const link = await api.attachmentLink(ref.attachment_id);
  const { body } = await api.download(link.url, options.signal);
  const temp = temporaryPath(dir);
  try {
    const hash = createHash('sha256');
    let size = 0;
    await withBar(options.progress, `downloading ${ref.filename}`, ref.size, async (advance) => {
      const check = async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > ref.size) throw mismatch(`more than the ${ref.size} bytes announced`);
          hash.update(chunk);
          advance(chunk.length);
          yield chunk;
        }
      };
      await pipeline(body, check, createWriteStream(temp, { flags: 'wx' }), options.signal ? { signal: options.signal } : {});
    });
    if (size !== ref.size) throw mismatch(`${size} bytes instead of ${ref.size}`);
    const sha256 = hash.digest('hex');
    if (sha256 !== ref.sha256) throw mismatch(`SHA-256 ${sha256} instead of ${ref.sha256}`);
    const handle = await open(temp, 'r+');
    await handle.sync().finally(() => handle.close());
    return await placeWithoutOverwrite(temp, dir, safeFilename(ref.filename));
  } catch (err) {
    if (options.signal?.aborted && !isCliError(err)) throw new CliError('cancelled', 'cancelled', { cause: err });
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

const mismatch = (what: string) => new CliError('download_mismatch', `the bytes received are not the file sent (${what}); nothing was saved`);

/** `dir` as an absolute path, made when missing; a usage error when something else has that name. */
async function outputDirectory(dir: string): Promise<string> {
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true });
    if ((await stat(path)).isDirectory()) return path;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw new CliError('bad_directory', `cannot write into ${dir} (${code ?? (err as Error).message})`, { cause: err });
  }
  throw new CliError('bad_directory', `${dir} exists and is not a directory`, { exitStatus: EXIT_USAGE });
}

/** Runs `work` with a progress bar (when the reporter shows one), removed however `work` ends. */
async function withBar<T>(progress: ProgressReporter, label: string, total: number, work: (advance: (bytes: number) => void, restart: () => void) => Promise<T>): Promise<T> {
  let bar = progress.start(label, total);
  const restart = () => {
    bar?.finish();
    bar = progress.start(label, total);
  };
  try {
    return await work((bytes) => bar?.advance(bytes), restart);
  } finally {
    bar?.finish();
  }
}

/** A failure about one file says which: `report.pdf: the file is ... over the bound`. Session errors stay as they are. */
async function named<T>(filename: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isCliError(err) || err.next || err.code === 'cancelled') throw err;
    throw new CliError(err.code, `${filename}: ${err.message}`, {
      cause: err,
      exitStatus: err.exitStatus,
      ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
      ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    });
  }
}
