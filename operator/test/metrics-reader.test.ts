import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HttpMetricsReader, parseConnections } from '../src/metrics-reader.js';

describe('reading websocket_connections_active', () => {
  it('parses the gauge, with or without labels, and nothing else', () => {
    const text = '# HELP websocket_connections_active Open\n# TYPE websocket_connections_active gauge\nwebsocket_connections_active 42\nwebsocket_connections_active_total 7\n';
    assert.equal(parseConnections(text), 42);
    assert.equal(parseConnections('websocket_connections_active{pod="a"} 3\nwebsocket_connections_active{pod="b"} 4 1700000000000\n'), 7);
    assert.equal(parseConnections('http_requests_total 5\n'), undefined, 'absent');
    assert.equal(parseConnections('websocket_connections_active NaN\n'), undefined, 'not a number');
  });

  it('reads each pod once, in order, and reports a pod it cannot read (refused, silent) as undefined', async () => {
    let silent = false;
    const server = createServer((req, res) => {
      // A pod that never answers: only the reader's timeout ends the read.
      if (silent) return;
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.end('websocket_connections_active 12\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const reader = new HttpMetricsReader(1000);
      assert.deepEqual(await reader.read([{ name: 'up', ip: '127.0.0.1' }, { name: 'nobody', ip: '127.0.0.2' }], port), [
        { name: 'up', connections: 12 },
        { name: 'nobody', connections: undefined },
      ]);
      silent = true;
      assert.deepEqual(await reader.read([{ name: 'silent', ip: '127.0.0.1' }], port), [{ name: 'silent', connections: undefined }]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
