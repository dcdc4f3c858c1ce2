import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, link, lstat, rename, stat, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { lookup } from 'mime-types';
import { CliError } from './errors.js';

/** A file about to be sent: where it is, what the others will see, and its size. */
export interface LocalFile {
  path: string;
  /** The last segment of the path: all the others see of where it came from. */
  filename: string;
  contentType: string;
  size: number;
}

/** The largest file name (in UTF-8 bytes) most file systems take. */
const MAX_NAME_BYTES = 255;

/**
 * Checks that `path` names a regular file this process can read, before anything is sent: a
 * missing file (`file_not_found`), a directory or device (`not_a_file`) or one without read
 * permission (`file_unreadable`) is a CliError naming the path.
 */
export async function checkLocalFile(path: string): Promise<LocalFile> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (info.isDirectory()) throw new CliError('not_a_file', `${path} is a directory: give the files in it one by one`);
  if (!info.isFile()) throw new CliError('not_a_file', `${path} is not a regular file`);
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw fileError(path, err);
  }
  return { path, filename: basename(path), contentType: contentTypeOf(path), size: info.size };
}

/** The media type its extension suggests (`report.pdf`: application/pdf); application/octet-stream when unknown. */
export function contentTypeOf(path: string): string {
  return lookup(path) || 'application/octet-stream';
}

function fileError(path: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new CliError('file_not_found', `no such file: ${path}`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new CliError('file_unreadable', `cannot read ${path}: permission denied`, { cause: err });
  return new CliError('file_unreadable', `cannot read ${path} (${code ?? (err as Error).message})`, { cause: err });
}

/**
 * The SHA-256 (hex) of the file at `path` and how many bytes it has, read as a stream (a chunk at a
 * time, whatever its size). `onBytes` hears of each chunk.
 */
export async function hashFile(path: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, signal ? { signal } : {})) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
      onBytes?.(bytes.length);
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw fileError(path, err);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * A file name that is safe to create in a directory: no directories (the last segment of `/` or
 * `\` paths), no control characters, not `.` or `..`, at most 255 UTF-8 bytes (the extension is
 * kept when cutting). `attachment` when nothing is left.
 */
export function safeFilename(name: string): string {
  // Control characters (C0, DEL, C1) would garble a terminal or a listing; they become `_`.
  // eslint-disable-next-line no-control-regex
  const last = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '_').trim();
  if (last === '' || /^\.+$/.test(last)) return 'attachment';
  return fitBytes(last, MAX_NAME_BYTES);
}

/**
 * The n-th name tried for `name` when it is taken: `report.pdf`, `report (1).pdf`, `report (2).pdf`;
 * `notes`, `notes (1)`; `.bashrc`, `.bashrc (1)`.
 */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const suffix = ` (${n})${ext}`;
  return `${fitBytes(stem, MAX_NAME_BYTES - Buffer.byteLength(suffix))}${suffix}`;
}

/** `text` cut to at most `max` UTF-8 bytes, keeping its extension when it has a short one. */
function fitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const ext = extname(text);
  const keep = Buffer.byteLength(ext) <= 32 ? ext : '';
  let stem = [...text.slice(0, text.length - keep.length)];
  while (stem.length > 0 && Buffer.byteLength(stem.join('') + keep) > max) stem = stem.slice(0, -1);
  return stem.join('') + keep;
}

/** A temporary file in `dir`, hidden, that nothing else will pick: `.chat4all-<random>.part`. */
export function temporaryPath(dir: string): string {
  return join(dir, `.chat4all-${randomBytes(6).toString('hex')}.part`);
}

/**
 * Gives the finished file at `temp` its name in `dir`: `name`, or `name (1)`, `name (2)`... when
 * taken, never replacing a file that exists. A hard link makes the name appear atomically and fails
 * when the name is taken (then the temporary name goes away); where the file system has no hard
 * links the file is renamed to the first name that does not exist. Returns the path.
 */
export async function placeWithoutOverwrite(temp: string, dir: string, name: string): Promise<string> {
  for (let n = 0; n < 10_000; n++) {
    const target = join(dir, numberedName(name, n));
    try {
      await link(temp, target);
      await unlink(temp);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      if (await exists(target)) continue;
      await rename(temp, target);
      return target;
    }
  }
  throw new CliError('name_taken', `every name like ${name} is taken in ${dir}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
