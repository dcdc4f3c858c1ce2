import { Writable } from 'node:stream';
import type { LineSink } from '../output.js';
import type { StatusLine } from '../progress.js';

const ESC = '\u001b[';
const CLEAR_LINE = `\r${ESC}2K`;
const CURSOR_SHOW = `${ESC}?25h`;
const cursorDown = (rows: number) => (rows > 0 ? `${ESC}${rows}B` : '');
/** What @inquirer/core's ScreenManager writes to erase its previous render (see @inquirer/ansi). */
const eraseLines = (lines: number) => (lines > 0 ? `${ESC}2K${ESC}1A`.repeat(lines - 1) + `${ESC}2K${ESC}G` : '');

/** True when `text` is exactly one CSI sequence `ESC [ <digits> <final>`. */
function isCsi(text: string, final: string): boolean {
  return text.startsWith(ESC) && text.endsWith(final) && /^\d+$/.test(text.slice(ESC.length, -1));
}

/** N when a render ends with `cursorUp(N) cursorTo(col)` (the cursor goes back into the prompt line), else 0. */
function trailingCursorUp(render: string): number {
  const column = render.lastIndexOf(ESC);
  if (column <= 0 || !isCsi(render.slice(column), 'G')) return 0;
  const up = render.lastIndexOf(ESC, column - 1);
  return up >= 0 && isCsi(render.slice(up, column), 'A') ? Number(render.slice(up + ESC.length, column - 1)) : 0;
}

/** The stream handed to one prompt: forwards its writes, and tells the screen when it ends. */
class PromptOutput extends Writable {
  readonly isTTY = true;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly onWrite: (chunk: string) => void,
    private readonly onEnd: () => void,
  ) {
    super({ decodeStrings: false });
  }

  get columns(): number {
    return this.out.columns ?? 80;
  }

  get rows(): number {
    return this.out.rows ?? 24;
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.onWrite(String(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.onEnd();
    callback();
  }
}

/** What the screen knows of the prompt on it: its last render and how to erase it. */
interface PromptState {
  /** Lines of the last render, and lines of it below the cursor: what the next render erases. */
  height: number;
  extra: number;
  lastRender: string;
  /** A cursor move written after the last render (readline's cursor follows the typing). */
  cursorFix: string;
  /** False once a write did not look like a render: lines then wait until the prompt is done. */
  tracking: boolean;
}

/**
 * The terminal of the interactive menu: prompts (from @inquirer) write through `promptOutput()`,
 * and `print()` puts a line above the prompt on screen without garbling it, even while the user
 * types, by erasing the prompt, writing the line and drawing the prompt's last render again.
 *
 * It mirrors what @inquirer/core's ScreenManager does: each render erases the previous one
 * (`cursorDown(extra) + eraseLines(height)`) and writes the new one, which may end by moving the
 * cursor up into the prompt line. When a write does not match that shape the screen stops drawing
 * over the prompt and holds lines until the prompt is done, so nothing is ever lost.
 */
export class PromptScreen implements LineSink, StatusLine {
  private prompt: PromptState | undefined;
  private held: string[] = [];
  /** The status line (a transfer's progress) at the bottom, when no prompt is open. */
  private status: string | undefined;

  constructor(private readonly out: NodeJS.WriteStream) {}

  /** A line for people: above the prompt, or the status line, when one is showing. */
  write(line: string): void {
    const prompt = this.prompt;
    if (!prompt && this.status !== undefined) {
      this.out.write(`${CLEAR_LINE}${line}\n${this.status}`);
    } else if (!prompt) {
      this.out.write(`${line}\n`);
    } else if (!prompt.tracking) {
      this.held.push(line);
    } else {
      this.out.write(`${cursorDown(prompt.extra)}${eraseLines(prompt.height)}${line}\n${prompt.lastRender}${prompt.cursorFix}`);
    }
  }

  /** Shows `text` as the status line, drawn over the previous one (a prompt must not be open). */
  show(text: string): void {
    this.status = text;
    this.out.write(`${CLEAR_LINE}${text}`);
  }

  /** Removes the status line. */
  clear(): void {
    if (this.status === undefined) return;
    this.status = undefined;
    this.out.write(CLEAR_LINE);
  }

  /** The output stream for one prompt (`context.output` of an @inquirer prompt); one per prompt. */
  promptOutput(): NodeJS.WritableStream {
    const state: PromptState = { height: 0, extra: 0, lastRender: '', cursorFix: '', tracking: true };
    this.prompt = state;
    return new PromptOutput(
      this.out,
      (chunk) => this.onPromptWrite(state, chunk),
      () => this.onPromptDone(state),
    );
  }

  private onPromptWrite(state: PromptState, chunk: string): void {
    this.out.write(chunk);
    if (this.prompt !== state) return;
    if (chunk.endsWith(CURSOR_SHOW)) {
      this.onPromptDone(state);
      return;
    }
    if (!state.tracking) return;
    if (isCsi(chunk, 'G')) {
      state.cursorFix = chunk;
      return;
    }
    const erase = cursorDown(state.extra) + eraseLines(state.height);
    if (!chunk.startsWith(erase)) {
      state.tracking = false;
      return;
    }
    const render = chunk.slice(erase.length);
    state.lastRender = render;
    state.height = render.split('\n').length;
    state.extra = trailingCursorUp(render);
    state.cursorFix = '';
  }

  private onPromptDone(state: PromptState): void {
    if (this.prompt !== state) return;
    this.prompt = undefined;
    const held = this.held;
    this.held = [];
    for (const line of held) this.out.write(`${line}\n`);
  }
}
