// Stops the test Cassandra (scripts/services.sh stop cassandra) and starts it again, data kept:
// a connected CassandraStores goes down, rejects `unavailable`, and comes back by itself; one
// constructed while the server is down connects (and migrates) in the background once it is up.
// Costs a Cassandra restart (about 20-60 s here), hence a file of its own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { isChat4AllError, UuidV7Generator } from '@chat4all/core';
import { waitFor } from '@chat4all/core/testing';
import { CassandraStores } from '../src/index.js';
import { capturingLogger, dropKeyspace, testKeyspace, testOptions } from './helpers.js';

const services = fileURLToPath(new URL('../../../scripts/services.sh', import.meta.url));
const run = promisify(execFile);
const servicesCmd = (cmd: string) => run(services, [cmd, 'cassandra'], { timeout: 300_000 });

const ids = new UuidV7Generator();
const keyspaces = [testKeyspace(), testKeyspace()];
const opened: CassandraStores[] = [];

let stopped = false;

after(
  async () => {
    for (const s of opened) await s.close(); // first: closing needs no server, and leaves no handles
    if (stopped) await servicesCmd('start'); // the test failed before it restarted the server
    for (const k of keyspaces) await dropKeyspace(k);
  },
  { timeout: 300_000 },
);

it('goes down with Cassandra, rejects unavailable, and recovers by itself', { timeout: 420_000 }, async () => {
  const live = new CassandraStores(testOptions(keyspaces[0]!, capturingLogger().logger));
  opened.push(live);
  await live.connect();
  assert.equal(live.users.health().status, 'up');

  let t = Date.now();
  stopped = true;
  await servicesCmd('stop');
  console.log(`stop: ${Date.now() - t} ms`);
  t = Date.now();
  await waitFor(() => live.users.health().status === 'down', 'health down', 30_000, 100);
  console.log(`health down after ${Date.now() - t} ms: ${JSON.stringify(live.users.health())}`);
  await assert.rejects(live.messages.get(ids.next()), (e) => isChat4AllError(e, 'unavailable'));
  await assert.rejects(live.conversations.touch(ids.next(), new Date().toISOString()), (e) => isChat4AllError(e, 'unavailable'));

  const late = new CassandraStores(testOptions(keyspaces[1]!, capturingLogger().logger));
  opened.push(late);
  await assert.rejects(late.connect(), (e) => isChat4AllError(e, 'unavailable'));
  assert.equal(late.users.health().status, 'down');
  await assert.rejects(late.users.getById(ids.next()), (e) => isChat4AllError(e, 'unavailable'));

  t = Date.now();
  await servicesCmd('start');
  stopped = false;
  console.log(`start: ${Date.now() - t} ms`);
  t = Date.now();
  await waitFor(() => live.users.health().status === 'up', 'health up again', 60_000, 100);
  await waitFor(async () => (await live.users.getById(ids.next()).then(() => true, () => false)), 'a read to succeed', 60_000, 200);
  console.log(`connected store usable again after ${Date.now() - t} ms`);
  await waitFor(() => late.users.health().status === 'up', 'the late store to connect in the background', 90_000, 200);
  console.log(`late store connected after ${Date.now() - t} ms`);
  assert.equal(await late.users.getById(ids.next()), undefined);
});
