import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findInOrder, linePattern, parseTour } from './tour.js';

const doc = [
  '# A document',
  '',
  '```sh',
  'echo not a tour step',
  '```',
  '',
  '```sh terminal=alice password=secret1234',
  'curl -s -w \'\\n\' http://localhost:8080/healthz',
  'make run    # until Ctrl+C',
  'printf "%s" one \\',
  '  two',
  '```',
  '',
  '```text terminal=alice',
  '{"status":"ok"}',
  '```',
  '',
  '```console terminal=bob',
  '$ npx chat4all open',
  "error: missing required argument 'username'",
  '$ true',
  '```',
].join('\n');

describe('tour documents', () => {
  it('are read as steps: commands to paste, screens to expect, prompts to answer', () => {
    const steps = parseTour(doc, 'doc.md');
    assert.deepEqual(
      steps.map((s) => [s.line, s.kind, s.terminal, s.password]),
      [
        [7, 'sh', 'alice', 'secret1234'],
        [14, 'text', 'alice', undefined],
        [18, 'console', 'bob', undefined],
      ],
    );
    assert.deepEqual(
      steps[0]!.commands.map((c) => [c.lines, c.foreground]),
      [
        [["curl -s -w '\\n' http://localhost:8080/healthz"], false],
        [['make run    # until Ctrl+C'], true],
        [['printf "%s" one \\', '  two'], false],
      ],
    );
    assert.deepEqual(steps[1]!.expected, ['{"status":"ok"}']);
    assert.deepEqual(
      steps[2]!.commands.map((c) => [c.lines, c.expected]),
      [
        [['npx chat4all open'], ["error: missing required argument 'username'"]],
        [['true'], []],
      ],
    );
  });

  it('refuse a tour block of an unknown kind', () => {
    assert.throws(() => parseTour('```bash terminal=x\nls\n```\n', 'd.md'), /d\.md:1: a tour block is sh, console or text/);
  });

  it('match whole lines, … standing for any text, in order', () => {
    assert.ok(linePattern('{"user_id":"…","username":"bob"}').test('{"user_id":"0190","username":"bob"}'));
    assert.ok(!linePattern('{"user_id":"…","username":"bob"}').test('{"user_id":"0190","username":"bob"}$ '.trimEnd()));
    assert.ok(!linePattern('a.b').test('axb'));
    const shown = ['$ make run', 'noise', 'API: 8080', 'WebSocket: 8085', '$'];
    assert.equal(findInOrder(shown, ['API: …', 'WebSocket: …'], 0), 4);
    assert.equal(findInOrder(shown, ['WebSocket: …', 'API: …'], 0), undefined);
    assert.equal(findInOrder(shown, ['API: …'], 3), undefined);
  });
});
