/**
 * The CLI as a package: `npm pack` of cli/ gives a tarball that `npm install -g` installs with no
 * registry at all (everything is bundled), and that runs with nothing but Node: no repository, no
 * node_modules, no tsx. It stops cleanly on SIGINT and SIGTERM, and so does `npx chat4all` from
 * the repository when npx itself is stopped.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Embedded } from '@chat4all/server';
import { CliProcess, tempDir, waitFor, type CliCommand } from './helpers.js';
import { CliUser, startPlatform } from './platform.js';

const run = promisify(execFile);
const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(CLI_DIR, '..');

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A machine with Node and nothing else: a PATH of the installed package's bin and node's directory. */
function bareEnv(home: string, prefix: string): NodeJS.ProcessEnv {
  return { PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}`, HOME: home, LANG: 'C.UTF-8' };
}

describe('the chat4all package', () => {
  let platform: Embedded;
  let tarball: string;
  let installed: CliCommand;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    platform = await startPlatform(cleanups);
    const dir = await tempDir(cleanups, 'chat4all-package-');
    await run('npm', ['pack', '--pack-destination', dir], { cwd: CLI_DIR, timeout: 120_000 });
    const { name, version } = JSON.parse(await readFile(join(CLI_DIR, 'package.json'), 'utf8')) as { name: string; version: string };
    tarball = join(dir, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    const prefix = join(dir, 'prefix');
    const home = join(dir, 'home');
    await mkdir(home);
    env = bareEnv(home, prefix);
    // An empty cache and --offline: the install cannot fetch anything, so the tarball must hold it all.
    await run('npm', ['install', '-g', '--prefix', prefix, '--cache', join(dir, 'empty-cache'), '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, env, timeout: 120_000 });
    installed = { command: join(prefix, 'bin', 'chat4all'), args: [], cwd: home };
  });

  it('holds the launcher, the bundle and the bundled licenses, and depends on nothing', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    assert.deepEqual(stdout.trim().split('\n').sort(), ['package/bin/chat4all.js', 'package/dist/chat4all.mjs', 'package/dist/chat4all.mjs.LICENSES.txt', 'package/package.json']);
    const { stdout: manifest } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    const pkg = JSON.parse(manifest) as { dependencies?: object; bin: Record<string, string> };
    assert.equal(pkg.dependencies, undefined);
    assert.deepEqual(pkg.bin, { chat4all: 'bin/chat4all.js' });
    const licenses = await readFile(join(CLI_DIR, 'dist', 'chat4all.mjs.LICENSES.txt'), 'utf8');
    for (const name of ['commander@', 'ws@', '@inquirer/core@']) assert.ok(licenses.includes(`\n${name}`) || licenses.includes(name), name);
  });

  it('runs installed with nothing but node: a whole session against a live platform', async () => {
    const { version } = JSON.parse(await readFile(join(CLI_DIR, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(installed.command, ['--version'], { env, cwd: installed.cwd });
    assert.equal(stdout.trim(), version);
    const ana = await (await CliUser.create(platform, cleanups, 'ana', installed, env)).signUp();
    const bob = await (await CliUser.create(platform, cleanups, 'bob', installed, env)).signUp();
    await ana.ok(['send', bob.username, 'from the installed package']);
    const page = await bob.ok<{ messages: { content: string }[] }>(['--json', 'history', ana.username]);
    assert.deepEqual(
      page.messages.map((m) => m.content),
      ['from the installed package'],
    );
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops listen on ${signal} with status 0 and says how to resume`, async () => {
      const cy = await (await CliUser.create(platform, cleanups, 'cy', installed, env)).signUp();
      const dee = await (await CliUser.create(platform, cleanups, 'dee', installed, env)).signUp();
      const listen = new CliProcess(['listen'], cy.env, installed);
      cleanups.push(async () => void (await listen.stop(2_000, 'SIGKILL')));
      await listen.waitForStderr(/connected/, 'listen connected', 20_000);
      await dee.ok(['send', cy.username, 'hello']);
      await waitFor(() => listen.lines().some((l) => l.endsWith(`${dee.username}: hello`)), `the message; stdout: ${listen.stdout}`);
      assert.equal(await listen.stop(10_000, signal), 0, listen.stderr);
      assert.match(listen.stderr, /stopped; resume with: chat4all listen --since \S+\n$/);
    });
  }
});

describe('npx chat4all from the repository', () => {
  it('stops when npx is stopped with SIGTERM, though npx does not pass the signal on', async () => {
    const platform = await startPlatform(cleanups);
    const eve = await (await CliUser.create(platform, cleanups, 'eve')).signUp();
    const npx: CliCommand = { command: 'npx', args: ['chat4all'], cwd: REPO, detached: true };
    const listen = new CliProcess(['listen'], eve.env, npx);
    const group = listen.child.pid!;
    const alive = () => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    };
    cleanups.push(async () => {
      if (alive()) process.kill(-group, 'SIGKILL');
    });
    await listen.waitForStderr(/connected/, 'listen connected', 30_000);
    process.kill(group, 'SIGTERM');
    await waitFor(() => !alive(), 'every process of npx chat4all listen to exit', 10_000, 100);
  });
});
