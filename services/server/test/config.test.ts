import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@chat4all/core/runtime';
import { flagsToEnv, loadConfig } from '../src/config.js';

const secret = 'x'.repeat(32);
const real = { KAFKA_BROKERS: '127.0.0.1:9092', CASSANDRA_CONTACT_POINTS: '127.0.0.1', REDIS_URL: 'redis://127.0.0.1', S3_ENDPOINT: 'http://127.0.0.1:7070' };

describe('server configuration', () => {
  it('has working defaults for the embedded platform', () => {
    const c = loadConfig({});
    assert.equal(c.role, 'all');
    assert.equal(c.apiPort, 8080);
    assert.equal(c.websocketPort, 8085);
    assert.equal(c.sendRateLimit, 50);
    assert.equal(c.connectRateLimit, 1000);
    assert.equal(c.catchUpBuffer, 10_000);
    assert.ok(Object.isFrozen(c));
  });

  it('reads the limits and flags', () => {
    const c = loadConfig({ ...real, ROLE: 'gateway', JWT_SECRET: secret, CONNECT_RATE_LIMIT: '2000', SEND_RATE_LIMIT: '7', CATCH_UP_BUFFER: '500' });
    assert.equal(c.connectRateLimit, 2000);
    assert.equal(c.catchUpBuffer, 500);
    assert.equal(c.sendRateLimit, 7);
    assert.deepEqual(flagsToEnv(['--role', 'api', '--api-port', '9000']).env, { ROLE: 'api', API_PORT: '9000' });
  });

  it('listens on loopback in the embedded default, on every interface beside real backends, and where HOST says', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ ROLE: 'all', KAFKA_BROKERS: '127.0.0.1:9092' }).host, '0.0.0.0');
    assert.equal(loadConfig({ ...real, ROLE: 'api', JWT_SECRET: secret }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ ...real, ROLE: 'gateway', JWT_SECRET: secret, HOST: '10.0.0.7' }).host, '10.0.0.7');
  });

  it('lets ports repeat only across roles that do not both listen', () => {
    assert.equal(loadConfig({ ...real, ROLE: 'api', JWT_SECRET: secret, API_PORT: '9095' }).apiPort, 9095);
    assert.equal(loadConfig({ ...real, ROLE: 'worker', METRICS_PORT: '8085', WEBSOCKET_PORT: '8085' }).metricsPort, 8085);
    assert.equal(loadConfig({ API_PORT: '0', WEBSOCKET_PORT: '0', METRICS_PORT: '0' }).apiPort, 0);
  });

  for (const [env, message] of [
    [{ CONNECT_RATE_LIMIT: '0' }, /CONNECT_RATE_LIMIT/],
    [{ CONNECT_RATE_LIMIT: 'lots' }, /CONNECT_RATE_LIMIT/],
    [{ SEND_RATE_LIMIT: '-1' }, /SEND_RATE_LIMIT/],
    [{ CATCH_UP_BUFFER: '10' }, /CATCH_UP_BUFFER/],
    [{ ROLE: 'router' }, /ROLE/],
    [{ JWT_SECRET: 'short' }, /at least 32 bytes/],
    [{ ROLE: 'api', JWT_SECRET: secret }, /backends must be shared/],
    [{ ...real, ROLE: 'gateway' }, /JWT_SECRET is required/],
    [{ ...real, S3_ENDPOINT: '', ROLE: 'api', JWT_SECRET: secret }, /must be shared: set S3_ENDPOINT/],
    [{ ATTACHMENT_MAX_BYTES: '0' }, /ATTACHMENT_MAX_BYTES/],
    [{ ATTACHMENT_LINK_TTL_SECONDS: 'an hour' }, /ATTACHMENT_LINK_TTL_SECONDS/],
    [{ WEBSOCKET_PORT: '8080' }, /^API_PORT and WEBSOCKET_PORT are both 8080/],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} naming what is wrong`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
