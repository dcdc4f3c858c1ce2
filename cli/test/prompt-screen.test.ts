import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import input from '@inquirer/input';
import { menuPrompt } from '../src/menu/menu-prompt.js';
import { PromptScreen } from '../src/menu/prompt-screen.js';
import { Painter } from '../src/output.js';
import { waitFor } from './helpers.js';

/**
 * A tiny terminal: enough of VT100 to replay what prompts write (text, newline, cursor up, down and
 * to a column, erase line; colours and cursor visibility are ignored), so tests can read the screen.
 */
class FakeTerminal {
  readonly columns = 100;
  readonly rows = 40;
  readonly isTTY = true;
  private lines: string[] = [''];
  private row = 0;
  private col = 0;

  write(chunk: string | Uint8Array): boolean {
    const text = String(chunk);
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] ?? '';
      if (ch === '\u001b' && text[i + 1] === '[') {
        const match = /^\[(\??)(\d*)(?:;(\d+))?([A-Za-z])/.exec(text.slice(i + 1));
        if (!match) continue;
        i += match[0].length;
        const n = Number(match[2] || 1);
        const final = match[4];
        if (match[1]) continue; // ?25l / ?25h
        if (final === 'A') this.row = Math.max(0, this.row - n);
        else if (final === 'B') this.moveTo(this.row + n);
        else if (final === 'G') this.col = n - 1;
        else if (final === 'K') this.lines[this.row] = '';
        continue;
      }
      if (ch === '\n') {
        this.moveTo(this.row + 1);
        this.col = 0;
      } else if (ch === '\r') {
        this.col = 0;
      } else {
        const line = (this.lines[this.row] ?? '').padEnd(this.col, ' ');
        this.lines[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
    }
    return true;
  }

  /** The screen's lines, without trailing blank ones. */
  screen(): string[] {
    const lines = this.lines.map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  private moveTo(row: number): void {
    while (this.lines.length <= row) this.lines.push('');
    this.row = row;
  }
}

function setUp() {
  const terminal = new FakeTerminal();
  const screen = new PromptScreen(terminal as unknown as NodeJS.WriteStream);
  const keyboard = new PassThrough();
  const stdin = keyboard as unknown as NodeJS.ReadStream;
  return { terminal, screen, keyboard, stdin };
}

describe('PromptScreen', () => {
  it('prints plain lines when no prompt is open', () => {
    const { terminal, screen } = setUp();
    screen.write('one');
    screen.write('two');
    assert.deepEqual(terminal.screen(), ['one', 'two']);
  });

  it('keeps a status line (a progress bar) at the bottom, drawn over in place, with lines going above it', () => {
    const { terminal, screen } = setUp();
    screen.write('before');
    screen.show('uploading a.bin [--]  10%');
    screen.show('uploading a.bin [#-]  50%');
    assert.deepEqual(terminal.screen(), ['before', 'uploading a.bin [#-]  50%']);
    screen.write('[12:00] bob: hi');
    assert.deepEqual(terminal.screen(), ['before', '[12:00] bob: hi', 'uploading a.bin [#-]  50%']);
    screen.clear();
    screen.write('✓ sent');
    assert.deepEqual(terminal.screen(), ['before', '[12:00] bob: hi', '✓ sent']);
  });

  it('puts a line above an input prompt, keeping what the user typed so far', async () => {
    const { terminal, screen, keyboard, stdin } = setUp();
    screen.write('before');
    const answer = input({ message: 'Message:' }, { input: stdin, output: screen.promptOutput() });
    keyboard.write('hel');
    await waitFor(() => terminal.screen().at(-1)?.endsWith('hel'), 'the typed text');
    screen.write('[12:00] bob: hi');
    assert.deepEqual(terminal.screen(), ['before', '[12:00] bob: hi', '? Message: hel']);
    keyboard.write('lo');
    await waitFor(() => terminal.screen().at(-1)?.endsWith('hello'), 'more typed text');
    screen.write('[12:01] bob: still there?');
    assert.deepEqual(terminal.screen(), ['before', '[12:00] bob: hi', '[12:01] bob: still there?', '? Message: hello']);
    keyboard.write('\r');
    assert.equal(await answer, 'hello');
    screen.write('after');
    assert.deepEqual(terminal.screen(), ['before', '[12:00] bob: hi', '[12:01] bob: still there?', '✔ Message: hello', 'after']);
  });

  it('puts a line above the whole numbered menu, and the menu picks by number', async () => {
    const { terminal, screen, keyboard, stdin } = setUp();
    const items = [
      { key: '1', label: 'Register' },
      { key: '2', label: 'Authenticate' },
      { key: '12', label: 'Notifications' },
      { key: '0', label: 'Exit' },
    ];
    const answer = menuPrompt({ view: () => ({ message: 'Choose:', items }), painter: new Painter(false) }, { input: stdin, output: screen.promptOutput() });
    await waitFor(() => terminal.screen().length === 6, 'the menu');
    screen.write('NEW MESSAGE');
    assert.deepEqual(terminal.screen(), ['NEW MESSAGE', '? Choose:', '❯  1) Register', '   2) Authenticate', '  12) Notifications', '   0) Exit', '↑↓ or a number, then Enter']);
    keyboard.write('12');
    await waitFor(() => terminal.screen().includes('❯ 12) Notifications'), '12 highlighted');
    screen.write('ANOTHER');
    assert.deepEqual(terminal.screen().slice(0, 3), ['NEW MESSAGE', 'ANOTHER', '? Choose:']);
    keyboard.write('\r');
    assert.equal(await answer, '12');
    assert.deepEqual(terminal.screen(), ['NEW MESSAGE', 'ANOTHER', '✔ Choose: Notifications']);
  });

  it('moves with the arrow keys and picks 0', async () => {
    const { screen, keyboard, stdin } = setUp();
    const items = [
      { key: '1', label: 'One' },
      { key: '0', label: 'Exit' },
    ];
    const viaArrow = menuPrompt({ view: () => ({ message: 'm', items }), painter: new Painter(false) }, { input: stdin, output: screen.promptOutput() });
    await new Promise((r) => setImmediate(r));
    keyboard.write('\u001b[B\r');
    assert.equal(await viaArrow, '0');
    const viaDigit = menuPrompt({ view: () => ({ message: 'm', items }), painter: new Painter(false) }, { input: stdin, output: screen.promptOutput() });
    await new Promise((r) => setImmediate(r));
    keyboard.write('0\r');
    assert.equal(await viaDigit, '0');
  });

  it('draws the open menu again, in place, when its view changes', async () => {
    const { terminal, screen, keyboard, stdin } = setUp();
    let state = 'on';
    let redraw = () => {};
    const answer = menuPrompt(
      {
        view: () => ({ message: `notifications ${state}. Choose:`, items: [{ key: '12', label: `Turn notifications ${state === 'on' ? 'off' : 'on'}` }, { key: '0', label: 'Exit' }] }),
        changes: (listener) => {
          redraw = listener;
          return () => (redraw = () => {});
        },
        painter: new Painter(false),
      },
      { input: stdin, output: screen.promptOutput() },
    );
    await waitFor(() => terminal.screen().includes('? notifications on. Choose:'), 'the menu');
    screen.write('notifications stopped');
    state = 'off';
    redraw();
    await waitFor(() => terminal.screen().includes('? notifications off. Choose:'), 'the menu drawn again');
    assert.deepEqual(terminal.screen(), ['notifications stopped', '? notifications off. Choose:', '❯ 12) Turn notifications on', '   0) Exit', '↑↓ or a number, then Enter']);
    keyboard.write('0\r');
    assert.equal(await answer, '0');
  });

  it('holds lines until the prompt is done when a write does not look like a render', async () => {
    const { terminal, screen } = setUp();
    const out = screen.promptOutput();
    out.write('? Q');
    out.write('\u001b[2K\u001b[G? Q x');
    screen.write('drawn above');
    assert.deepEqual(terminal.screen(), ['drawn above', '? Q x']);
    out.write('\nsomething else');
    screen.write('held');
    assert.ok(!terminal.screen().includes('held'));
    out.write('\n\u001b[G\u001b[?25h');
    assert.deepEqual(terminal.screen().slice(-1), ['held']);
    await new Promise<void>((resolve) => out.end(resolve));
  });
});
