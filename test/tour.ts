/**
 * The tours of README.md and docs/ as steps to run. A tour is every fenced block whose info string
 * names a terminal, in the order of the document:
 *
 * - ```` ```sh terminal=alice ````: lines to paste, one by one, into alice's terminal. Each must
 *   succeed (status 0), except a command whose comment mentions Ctrl+C: it keeps running in the
 *   foreground, and the tour ends it with Ctrl+C when it is over.
 * - ```` ```console terminal=alice ````: `$ command` lines with what they print beneath, matched
 *   line by line against what the terminal shows.
 * - ```` ```text terminal=alice ````: lines the terminal shows from then on, in this order.
 *
 * In expected lines, `…` stands for any text. `password=<text>` in the info string is what the
 * tour types when a command asks for a password. Renderers show only the first word of the info
 * string, so readers see ordinary `sh`, `console` and `text` blocks.
 */

export type StepKind = 'sh' | 'console' | 'text';

export interface Command {
  /** The physical lines, pasted one at a time (a line ending in `\` continues the command). */
  lines: string[];
  /** Keeps running until Ctrl+C: the tour does not wait for the prompt to come back. */
  foreground: boolean;
  /** For console blocks: the lines it prints. */
  expected: string[];
}

export interface Step {
  file: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
  kind: StepKind;
  terminal: string;
  password: string | undefined;
  /** sh and console blocks. */
  commands: Command[];
  /** text blocks. */
  expected: string[];
}

const FENCE = /^```(\S*)(.*)$/;

/** The tour steps of one Markdown document. Throws on a tour block it cannot read. */
export function parseTour(markdown: string, file: string): Step[] {
  const steps: Step[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end === -1) throw new Error(`${file}:${i + 1}: a fence that is never closed`);
    const body = lines.slice(i + 1, end);
    const attributes = Object.fromEntries([...open[2]!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const kind = open[1] ?? '';
    if (attributes.terminal) {
      if (kind !== 'sh' && kind !== 'console' && kind !== 'text') throw new Error(`${file}:${i + 1}: a tour block is sh, console or text, not ${JSON.stringify(kind)}`);
      steps.push({
        file,
        line: i + 1,
        kind,
        terminal: attributes.terminal,
        password: attributes.password,
        commands: kind === 'sh' ? shellCommands(body) : kind === 'console' ? consoleCommands(body, `${file}:${i + 1}`) : [],
        expected: kind === 'text' ? body.filter((l) => l.trim() !== '') : [],
      });
    }
    i = end;
  }
  return steps;
}

/** Every non-empty line as pasted; a line ending in `\` is continued by the next. */
function shellCommands(body: string[]): Command[] {
  const commands: Command[] = [];
  let current: string[] = [];
  for (const line of body) {
    if (line.trim() === '' && current.length === 0) continue;
    current.push(line);
    if (line.endsWith('\\')) continue;
    commands.push({ lines: current, foreground: current.some(runsUntilCtrlC), expected: [] });
    current = [];
  }
  if (current.length > 0) commands.push({ lines: current, foreground: false, expected: [] });
  return commands;
}

function consoleCommands(body: string[], where: string): Command[] {
  const commands: Command[] = [];
  for (const line of body) {
    if (line.startsWith('$ ')) commands.push({ lines: [line.slice(2)], foreground: runsUntilCtrlC(line), expected: [] });
    else if (commands.length === 0) throw new Error(`${where}: output before the first $ command`);
    else if (line.trim() !== '') commands.at(-1)!.expected.push(line);
  }
  return commands;
}

/** A command documented to run until Ctrl+C (its comment says so). */
function runsUntilCtrlC(line: string): boolean {
  return /#.*\bCtrl\+C\b/.test(line);
}

/** An expected line as a pattern: `…` matches any text, everything else itself; the whole line must match. */
export function linePattern(expected: string): RegExp {
  const parts = expected.trimEnd().split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*?')}$`);
}

/**
 * Where `expected` appears in `shown` in order, each at a later line than the one before,
 * starting at `from`; the index after the last match, or undefined when some line is missing.
 */
export function findInOrder(shown: string[], expected: string[], from: number): number | undefined {
  let at = from;
  for (const line of expected) {
    const pattern = linePattern(line);
    while (at < shown.length && !pattern.test(shown[at]!.trimEnd())) at++;
    if (at >= shown.length) return undefined;
    at++;
  }
  return at;
}
