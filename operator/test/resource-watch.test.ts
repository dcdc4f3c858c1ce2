import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { createLogger } from '../src/logger.js';
import { ResourceWatch, type WatchedObject } from '../src/resource-watch.js';
import { waitFor } from './support/wait.js';

const obj = (name: string, rv: string): WatchedObject => ({ metadata: { name, resourceVersion: rv } });
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

/**
 * A fake API server that speaks the list and watch protocol, scripted: each watch request gets
 * the next step of `watches`, each list the next of `lists`.
 */
function fakeApiServer(lists: { items: WatchedObject[]; rv: string }[], watches: ((res: ServerResponse) => void)[]) {
  const watchedFrom: string[] = [];
  let listCalls = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      watchedFrom.push(url.searchParams.get('resourceVersion') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const step = watches.shift();
      if (step) step(res);
      return; // no step left: hold the watch open
    }
    const list = lists[Math.min(listCalls++, lists.length - 1)]!;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: list.items, metadata: { resourceVersion: list.rv } }));
  });
  return { server, watchedFrom, lists: () => listCalls };
}

describe('ResourceWatch', () => {
  const script = fakeApiServer(
    [
      { items: [obj('a', '10')], rv: '10' },
      { items: [obj('a', '12'), obj('b', '13')], rv: '13' },
      { items: [obj('b', '16')], rv: '16' },
    ],
    [
      // From 10: a change, then the resourceVersion expires.
      (res) => {
        res.write(line('MODIFIED', obj('a', '12')));
        res.end(line('ERROR', { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 10 (13)' }));
      },
      // From 13 (the relist): a bookmark, then the server ends the watch cleanly.
      (res) => res.end(line('BOOKMARK', obj('', '15'))),
      // From 15 (the bookmark): the connection breaks mid-stream.
      (res) => {
        res.write(line('BOOKMARK', obj('', '15')));
        setTimeout(() => res.socket?.destroy(), 20);
      },
    ],
  );
  let kubeConfig: KubeConfig;

  before(async () => {
    await new Promise<void>((resolve) => script.server.listen(0, '127.0.0.1', () => resolve()));
    const port = (script.server.address() as AddressInfo).port;
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }], currentContext: 'fake' });
  });

  after(() => {
    script.server.closeAllConnections();
    script.server.close();
  });

  it('lists, watches, relists on 410 Gone, resumes after a clean end and after a broken connection', async () => {
    const seen: string[] = [];
    const watch = new ResourceWatch<WatchedObject>({
      resource: 'things',
      watch: new Watch(kubeConfig),
      path: '/api/v1/namespaces/ns/things',
      list: async () => {
        const res = await fetch(`${kubeConfig.getCurrentCluster()!.server}/api/v1/namespaces/ns/things`);
        const body = (await res.json()) as { items: WatchedObject[]; metadata: { resourceVersion: string } };
        return { items: body.items, resourceVersion: body.metadata.resourceVersion };
      },
      onEvent: (type, o, old) => seen.push(`${type} ${o.metadata?.name}${old ? ` (was ${old.metadata?.resourceVersion})` : ''}`),
      logger: createLogger({ logLevel: (process.env.LOG_LEVEL as 'fatal') ?? 'fatal', logFormat: 'json' }),
      minBackoffMs: 10,
    });
    watch.start();
    try {
      await waitFor(() => script.watchedFrom.length === 4, 'the fourth watch', 10_000);
      assert.deepEqual(script.watchedFrom, ['10', '13', '15', '16'], 'each watch starts where the last left off, or at the relist');
      assert.deepEqual(seen, ['ADDED a', 'MODIFIED a (was 10)', 'ADDED b', 'MODIFIED b (was 13)', 'DELETED a (was 12)']);
      assert.equal(script.lists(), 3);
      assert.equal(watch.expirations, 1);
      assert.deepEqual([...watch.store.keys()], ['b']);
      assert.equal(watch.resourceVersion, '16');
    } finally {
      await watch.stop();
    }
  });
});
