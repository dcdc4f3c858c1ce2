/** `make help` is the project's index of commands: every documented target, in one aligned table. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { REPO } from './repo.js';

describe('make help', () => {
  it('lists every target with its description starting in one column, without colour when not on a terminal', () => {
    const text = execFileSync('make', ['-s', 'help'], { cwd: REPO, encoding: 'utf8' });
    assert.ok(!text.includes('\u001b['), 'no escape codes in a pipe');
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.length > 10, text);
    const columns = new Set(
      lines.map((line) => {
        const match = /^ {2}([a-z0-9_-]+) {2,}(\S.*)$/.exec(line);
        assert.ok(match, `a target and its description: ${JSON.stringify(line)}`);
        return line.length - match[2]!.length;
      }),
    );
    assert.equal(columns.size, 1, `descriptions start in ${columns.size} different columns:\n${text}`);
    assert.ok(lines.some((l) => /^ {2}test-operator-drain {2,}/.test(l)), 'the longest names keep their gap');
  });
});
