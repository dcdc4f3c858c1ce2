import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CliProcess, waitFor } from './helpers.js';
import { CliUser, startPlatform } from './platform.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Frame {
  type: string;
  message_id?: string;
  content?: string;
  catch_up?: boolean;
}

describe('listen across a gateway restart', () => {
  it('shows the messages sent while the gateway was down once, in order, when it is back', async () => {
    const platform = await startPlatform(cleanups);
    const ana = await (await CliUser.create(platform, cleanups, 'ana')).signUp();
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    // Two of bob's devices: a script (--json) and a person (text).
    const script = new CliProcess(['--json', 'listen'], bob.env);
    const person = new CliProcess(['listen'], bob.env);
    cleanups.push(async () => void (await Promise.all([script.stop(), person.stop()])));
    await script.waitForStderr(/connected/, 'the script connected');
    await person.waitForStderr(/connected/, 'the person connected');

    const contents = () => script.json<Frame>().filter((f) => f.type === 'new_message').map((f) => f.content);
    await ana.ok(['send', bob.username, 'before the restart']);
    await waitFor(() => contents().length === 1, 'the first message');

    await platform.stopGateway();
    await script.waitForStderr(/notifications offline/, 'the script noticing the drop');
    await person.waitForStderr(/notifications offline/, 'the person noticing the drop');
    const gap = ['gap 1', 'gap 2', 'gap 3', 'gap 4', 'gap 5'];
    for (const text of gap) await ana.ok(['send', bob.username, text]);
    await platform.startGateway();

    await waitFor(() => contents().length >= 6, `the gap's messages; so far ${JSON.stringify(contents())}`, 75_000);
    // Full-jitter backoff grows up to 30 s while the gateway is down, so allow a whole period.
    await script.waitForStderr(/back online/, 'the script saying it is back', 45_000);
    await person.waitForStderr(/back online/, 'the person seeing it is back', 45_000);
    await ana.ok(['send', bob.username, 'after the restart']);
    await waitFor(() => contents().length >= 7, 'the message after the restart');
    await waitFor(() => person.lines().filter((l) => l.includes(`${ana.username}: `)).length >= 7, `the person's lines; stdout: ${person.stdout}`);

    const expected = ['before the restart', ...gap, 'after the restart'];
    assert.deepEqual(contents(), expected, 'each message once, in order');
    const ids = script.json<Frame>().filter((f) => f.type === 'new_message').map((f) => f.message_id);
    assert.equal(new Set(ids).size, ids.length, 'no message id twice');
    const shown = person
      .lines()
      .filter((l) => l.includes(`${ana.username}: `))
      .map((l) => l.replace(/^\[[^\]]+\] \S+: /, '').replace(/ \(missed while offline\)$/, ''));
    assert.deepEqual(shown, expected);
    // However many attempts the backoff made meanwhile: one line when it went, one when it came back.
    const status = person.stderr.split('\n').filter((l) => /offline|online|reconnect|still/.test(l));
    assert.equal(status.length, 2, `two status lines:\n${person.stderr}`);
    assert.match(status[0]!, /^notifications offline: .*; reconnecting…$/);
    assert.match(status[1]!, /^back online( after \d+s offline)?$/);

    assert.equal(await script.stop(), 0);
    assert.equal(await person.stop(), 0);
    assert.match(script.stderr, /resume with: chat4all listen --since \S+/);
  });

  it('reads over HTTP what the gateway can no longer replay (listen --since beyond its history)', async () => {
    const platform = await startPlatform(cleanups);
    const ana = await (await CliUser.create(platform, cleanups, 'ana')).signUp();
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    const lostEventId = `${Date.now() - 1_000}-0`;
    await ana.ok(['send', bob.username, 'while bob was away 1']);
    await ana.ok(['send', bob.username, 'while bob was away 2']);
    await waitFor(async () => (await bob.ok<{ messages: unknown[] }>(['--json', 'history', ana.username])).messages.length === 2, 'both stored');

    const listen = new CliProcess(['--json', 'listen', '--since', lostEventId], bob.env);
    cleanups.push(async () => void (await listen.stop()));
    await listen.waitForStderr(/caught up over HTTP: 2 messages/, 'the HTTP catch-up');
    const caught = listen.json<Frame>().filter((f) => f.type === 'new_message');
    assert.deepEqual(
      caught.map((f) => [f.content, f.catch_up]),
      [
        ['while bob was away 1', true],
        ['while bob was away 2', true],
      ],
    );
    await ana.ok(['send', bob.username, 'live again']);
    await waitFor(() => listen.json<Frame>().some((f) => f.content === 'live again'), 'the live message');
    assert.equal(listen.json<Frame>().filter((f) => f.type === 'new_message').length, 3);
    assert.equal(await listen.stop(), 0);
  });
});
