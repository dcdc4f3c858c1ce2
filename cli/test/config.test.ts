import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDir, resolveConfig } from '../src/config.js';
import { isCliError } from '../src/errors.js';

const tty = { stdoutIsTTY: true, stderrIsTTY: true, home: '/home/ana' };

describe('resolveConfig', () => {
  it('defaults to the original system’s ports', () => {
    const config = resolveConfig({}, { env: {}, ...tty });
    assert.equal(config.apiUrl, 'http://localhost:8080');
    assert.equal(config.websocketUrl, 'ws://localhost:8085');
    assert.equal(config.configDir, '/home/ana/.config/chat4all');
    assert.equal(config.json, false);
  });

  it('takes flags over the environment, and the environment over defaults', () => {
    const env = { CHAT4ALL_API_URL: 'https://chat.example/', CHAT4ALL_WEBSOCKET_URL: 'wss://chat.example/ws' };
    assert.equal(resolveConfig({}, { env, ...tty }).apiUrl, 'https://chat.example');
    assert.equal(resolveConfig({}, { env, ...tty }).websocketUrl, 'wss://chat.example/ws');
    const flagged = resolveConfig({ apiUrl: 'http://10.0.0.1:9000', wsUrl: 'ws://10.0.0.1:9001' }, { env, ...tty });
    assert.equal(flagged.apiUrl, 'http://10.0.0.1:9000');
    assert.equal(flagged.websocketUrl, 'ws://10.0.0.1:9001');
  });

  it('fails with the variable’s name on a bad URL, as a usage error', () => {
    assert.throws(
      () => resolveConfig({}, { env: { CHAT4ALL_API_URL: 'localhost:8080' }, ...tty }),
      (err) => isCliError(err, 'usage') && err.exitStatus === 2 && /CHAT4ALL_API_URL/.test(err.message),
    );
    assert.throws(() => resolveConfig({ wsUrl: 'http://x' }, { env: {}, ...tty }), (err) => isCliError(err, 'usage') && /--ws-url/.test(err.message));
  });

  it('colours only a terminal, never with NO_COLOR or --no-color', () => {
    assert.deepEqual(resolveConfig({}, { env: {}, ...tty }).color, { stdout: true, stderr: true });
    assert.deepEqual(resolveConfig({}, { env: {}, ...tty, stdoutIsTTY: false }).color, { stdout: false, stderr: true });
    assert.deepEqual(resolveConfig({}, { env: { NO_COLOR: '1' }, ...tty }).color, { stdout: false, stderr: false });
    assert.deepEqual(resolveConfig({}, { env: { NO_COLOR: '' }, ...tty }).color, { stdout: true, stderr: true });
    assert.deepEqual(resolveConfig({ color: false }, { env: {}, ...tty }).color, { stdout: false, stderr: false });
  });
});

describe('configDir', () => {
  it('prefers CHAT4ALL_CONFIG_DIR, then an absolute XDG_CONFIG_HOME, then ~/.config', () => {
    assert.equal(configDir({ CHAT4ALL_CONFIG_DIR: '/tmp/x', XDG_CONFIG_HOME: '/xdg' }, '/h'), '/tmp/x');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/xdg' }, '/h'), '/xdg/chat4all');
    assert.equal(configDir({ XDG_CONFIG_HOME: 'relative' }, '/h'), '/h/.config/chat4all');
    assert.equal(configDir({}, '/h'), '/h/.config/chat4all');
  });
});
