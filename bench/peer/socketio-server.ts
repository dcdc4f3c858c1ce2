/**
 * The peer: a Socket.IO server doing the gateway's job the idiomatic Socket.IO way, on the same
 * Redis. Each socket is authenticated in the handshake (the same HS256 JWT as ours, `auth.token`,
 * verified with a key object made once, as ours),
 * joins the room `user:{id}`, and receives what any process emits to that room through
 * @socket.io/redis-adapter (publishers use @socket.io/redis-emitter). WebSocket transport only.
 *
 * Env: PEER_PORT, PEER_HOST (127.0.0.1), REDIS_URL, JWT_SECRET, HEARTBEAT_MS (15000, as ours).
 * GET /healthz answers once the adapter's Redis connections are ready; GET /stats gives memory use
 * and the socket count.
 */
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';

const port = Number(process.env.PEER_PORT ?? 8095);
// A key object made once, as ours does: with a string secret jsonwebtoken spends about 1 ms per
// verification, which would make the peer's connects look slower than they need to be.
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? ''));
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 15_000);
const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const sub = pub.duplicate();
let ready = false;

const http = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'starting');
  } else if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...process.memoryUsage(), sockets: io.engine.clientsCount }));
  } else {
    res.writeHead(404).end();
  }
});

const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  pingInterval: heartbeatMs,
  pingTimeout: heartbeatMs,
  maxHttpBufferSize: 16_384,
  perMessageDeflate: false,
  adapter: createAdapter(pub, sub),
});

io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  try {
    if (typeof token !== 'string') throw new Error('no token');
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
    if (typeof claims !== 'object' || typeof claims.sub !== 'string') throw new Error('no subject');
    socket.data.userId = claims.sub;
    next();
  } catch {
    next(new Error('unauthorized'));
  }
});

io.on('connection', (socket) => {
  void socket.join(`user:${socket.data.userId as string}`);
});

await Promise.all([new Promise((r) => pub.once('ready', r)), new Promise((r) => sub.once('ready', r))]);
http.listen(port, process.env.PEER_HOST ?? '127.0.0.1', () => (ready = true));

const stop = () => {
  void io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
