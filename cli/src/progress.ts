import { formatBytes } from './output.js';

/** Files at least this large get a progress bar (smaller ones are done before one would help). */
export const PROGRESS_MIN_BYTES = 1024 * 1024;
/** The bar is drawn again at most this often. */
const REDRAW_EVERY_MS = 100;

/**
 * A line that stays at the bottom of a terminal and is drawn over in place. `show` replaces it,
 * `clear` removes it; lines written meanwhile by others go above it.
 */
export interface StatusLine {
  show(text: string): void;
  clear(): void;
}

/** One frame of a transfer. */
export interface ProgressState {
  /** What is happening: `uploading report.pdf`. */
  label: string;
  /** Bytes done so far, and in all. */
  done: number;
  total: number;
  /** Time since the transfer started, for the rate. */
  elapsedMs: number;
  /** The terminal's width; the bar shrinks to fit. @default 80 */
  columns?: number;
}

/**
 * One line: `uploading report.pdf [######------------]  35%  12.0 MiB / 34.3 MiB  4.0 MiB/s`, that
 * fits in `columns - 1` characters: on a narrow terminal the bar narrows or goes, the rate and then
 * the bytes are left out, and the label is cut with `…`.
 */
export function formatProgress(state: ProgressState): string {
  const width = Math.max(20, state.columns ?? 80) - 1;
  const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const bytes = `${percent}  ${formatBytes(state.done)} / ${formatBytes(state.total)}`;
  const seconds = state.elapsedMs / 1000;
  const full = seconds >= 0.5 ? `${bytes}  ${formatBytes(Math.round(state.done / seconds))}/s` : bytes;
  const label = [...state.label];
  // The numbers shrink first (rate, then bytes) so that some of the label stays.
  const numbers = [full, bytes, percent].find((n) => n.length + 2 + Math.min(label.length, 8) <= width) ?? percent;
  const room = width - 2 - numbers.length;
  const wanted = Math.min(label.length, 24);
  const fitted = Math.min(30, room - 3 - wanted);
  const barWidth = fitted >= 10 ? fitted : 0;
  const labelRoom = Math.max(0, room - (barWidth > 0 ? barWidth + 3 : 0));
  const shownLabel = label.length <= labelRoom ? state.label : `${label.slice(0, Math.max(0, labelRoom - 1)).join('')}…`;
  const filled = Math.round(fraction * barWidth);
  const bar = barWidth > 0 ? ` [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]` : '';
  return `${shownLabel}${bar}  ${numbers}`;
}

export interface ProgressBarOptions {
  label: string;
  total: number;
  line: StatusLine;
  columns?: () => number | undefined;
  /** @default Date.now */
  now?: () => number;
}

/** A transfer's progress on a StatusLine, drawn at most every 100 ms and removed when done. */
export class ProgressBar {
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private done = 0;

  constructor(private readonly options: ProgressBarOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.draw();
  }

  /** `bytes` more are done. */
  advance(bytes: number): void {
    this.done += bytes;
    if (this.now() - this.lastDraw >= REDRAW_EVERY_MS || this.done >= this.options.total) this.draw();
  }

  /** Removes the bar. */
  finish(): void {
    this.options.line.clear();
  }

  private draw(): void {
    const now = this.now();
    this.lastDraw = now;
    const columns = this.options.columns?.();
    this.options.line.show(
      formatProgress({ label: this.options.label, done: this.done, total: this.options.total, elapsedMs: now - this.started, ...(columns ? { columns } : {}) }),
    );
  }
}

/** Something to tell about a transfer's progress; `start` returns undefined when nothing is shown. */
export interface ProgressReporter {
  start(label: string, total: number): { advance(bytes: number): void; finish(): void } | undefined;
}

/** Shows nothing: --json, output that is not a terminal. */
export const noProgress: ProgressReporter = { start: () => undefined };

/**
 * Progress bars on `line` for transfers of at least PROGRESS_MIN_BYTES, so small files make no
 * flicker.
 */
export function progressOn(line: StatusLine, columns: () => number | undefined, now?: () => number): ProgressReporter {
  return {
    start: (label, total) => (total >= PROGRESS_MIN_BYTES ? new ProgressBar({ label, total, line, columns, ...(now ? { now } : {}) }) : undefined),
  };
}

/** A StatusLine at the bottom of a terminal stream (the subcommands' stderr): `\r`, erase the line, write. */
export function terminalStatusLine(stream: NodeJS.WritableStream): StatusLine {
  return {
    show: (text) => void stream.write(`\r\u001b[2K${text}`),
    clear: () => void stream.write('\r\u001b[2K'),
  };
}
