import { isAbsolute, relative, sep } from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../output.js';
import { downloadAttachments, type SavedFile } from '../transfers.js';
import { authenticated, interruptible, progressFor, type CliContext } from './context.js';
import type { Run } from './run.js';

export function addDownloadCommand(program: Command, run: Run): void {
  program
    .command('download')
    .description("save a message's files, each checked against its SHA-256; an existing file is never replaced")
    .argument('<message_id>')
    .option('--out <dir>', 'the directory to write into, made if missing (default: the current directory)')
    .action((messageId: string, opts: { out?: string }) => run((ctx) => download(ctx, messageId, opts.out ?? '.')));
}

async function download(ctx: CliContext, messageId: string, dir: string): Promise<void> {
  const { api } = await authenticated(ctx);
  const message = await api.message(messageId);
  const say = (file: SavedFile) => {
    if (!ctx.output.json) ctx.output.line(`saved ${displayPath(file.path)} (${formatBytes(file.size)})`);
  };
  const files = await interruptible('the file being downloaded was not saved', (signal) => downloadAttachments(api, message, dir, { progress: progressFor(ctx), signal, onSaved: say }));
  if (ctx.output.json) ctx.output.data({ message_id: message.message_id, files });
}

/** A path as the user would type it: relative to the current directory when it is inside it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel) ? rel : path;
}
