import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedPort, runMain, tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));
let port = 0;
before(async () => {
  port = await closedPort();
});

/** Runs main() in-process on fake streams; nothing listens on `port`, so no call reaches a server. */
async function run(argv: string[], stdinText?: string, env: NodeJS.ProcessEnv = {}, stdinIsTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await tempDir(cleanups);
  return runMain(argv, { CHAT4ALL_CONFIG_DIR: dir, CHAT4ALL_API_URL: `http://127.0.0.1:${port}`, CHAT4ALL_WEBSOCKET_URL: `ws://127.0.0.1:${port}`, ...env }, stdinText, stdinIsTTY);
}

describe('chat4all argument handling', () => {
  it('answers an unknown subcommand with exit 2, the error and a usage line on stderr', async () => {
    const r = await run(['frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /^usage: chat4all \[options\] \[command\]$/m);
  });

  it('answers missing arguments with exit 2 and the subcommand’s usage', async () => {
    for (const [argv, usage] of [
      [['login'], 'usage: chat4all login [options] <username>'],
      [['send'], 'usage: chat4all send [options] <conversation> [text...]'],
      [['group', 'create', 'team'], 'usage: chat4all group create [options] <name> <username...>'],
      [['group', 'add', 'team'], 'usage: chat4all group add [options] <conversation> <username>'],
      [['history'], 'usage: chat4all history [options] <conversation>'],
      [['read'], 'usage: chat4all read [options] <message_id>'],
      [['download'], 'usage: chat4all download [options] <message_id>'],
    ] as const) {
      const r = await run([...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(usage), `${argv.join(' ')} printed ${r.stderr}`);
    }
  });

  it('rejects a bad --limit and an unknown option as usage errors', async () => {
    const limit = await run(['history', 'bob', '--limit', 'lots']);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit/);
    const option = await run(['conversations', '--bogus']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option '--bogus'/);
  });

  it('never takes a password from an argument, and needs a terminal or --password-stdin', async () => {
    const extra = await run(['login', 'ana', 'secret-password']);
    assert.equal(extra.code, 2);
    const noTty = await run(['login', 'ana'], '');
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /--password-stdin/);
    const empty = await run(['login', 'ana', '--password-stdin'], '\n');
    assert.equal(empty.code, 2);
  });

  it('prints help and the version with exit 0', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: chat4all/);
    for (const command of ['register', 'login', 'logout', 'whoami', 'conversations', 'open', 'group', 'send', 'history', 'read', 'download', 'listen']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
    }
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  it('refuses the interactive menu without a terminal (exit 2)', async () => {
    const r = await run([], '');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a terminal/);
  });

  it('fails with exit 1 and one line when not logged in, as JSON on stderr with --json', async () => {
    const r = await run(['conversations']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: not logged in: run `chat4all login <username>` first\n');
    const json = await run(['--json', 'whoami']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stderr), { error: { code: 'not_logged_in', message: 'not logged in: run `chat4all login <username>` first' } });
  });

  it('says in one line that the server is unreachable (exit 1)', async () => {
    const r = await run(['register', 'ana', '--password-stdin'], 'password123\n');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stderr, `error: cannot reach the Chat4All API at http://127.0.0.1:${port} (connection refused); is the server running?\n`);
  });

  it('answers usage errors with one JSON line on stderr under --json', async () => {
    for (const [argv, message, usage] of [
      [['--json', 'open'], "missing required argument 'username'", 'chat4all open [options] <username>'],
      [['open', '--json'], "missing required argument 'username'", 'chat4all open [options] <username>'],
      [['--json', 'sned', 'x'], "unknown command 'sned'", 'chat4all [options] [command]'],
      [['--json', 'history', 'bob', '--limit', 'lots'], "option '--limit <n>' argument 'lots' is invalid. expected a whole number from 1 to 200.", 'chat4all history [options] <conversation>'],
      [['--json', 'conversations', '--bogus'], "unknown option '--bogus'", 'chat4all conversations [options]'],
    ] as const) {
      const r = await run([...argv]);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      assert.deepEqual(JSON.parse(r.stderr), { error: { code: 'usage', message, usage } }, `${argv.join(' ')} printed ${r.stderr}`);
    }
  });

  it('says the server cannot be reached before asking for a password on a terminal', async () => {
    for (const argv of [['login', 'ana'], ['register', 'ana']]) {
      const r = await run(argv, undefined, {}, true);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `error: cannot reach the Chat4All API at http://127.0.0.1:${port} (connection refused); is the server running?\n`);
    }
  });

  it('fails on a bad URL in the environment with its name (exit 2)', async () => {
    const r = await run(['conversations'], undefined, { CHAT4ALL_API_URL: 'nope' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CHAT4ALL_API_URL/);
  });
});
