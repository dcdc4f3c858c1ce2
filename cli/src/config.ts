import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { usageError } from './errors.js';

/** The CLI's settings, resolved once from flags, then the environment, then defaults. */
export interface CliConfig {
  /** Base URL of the HTTP API, without a trailing slash. @default http://localhost:8080 */
  apiUrl: string;
  /** The gateway's URL; `/notifications` is added when it has no path. @default ws://localhost:8085 */
  websocketUrl: string;
  /** Where the session file lives. @default $XDG_CONFIG_HOME/chat4all, else ~/.config/chat4all */
  configDir: string;
  /** Machine-readable output on stdout. */
  json: boolean;
  /** Whether to colour each stream: only a terminal, never with NO_COLOR or --no-color. */
  color: { stdout: boolean; stderr: boolean };
}

/** Global flags as commander parses them. `color` is false for `--no-color`. */
export interface GlobalFlags {
  apiUrl?: string;
  wsUrl?: string;
  json?: boolean;
  color?: boolean;
}

export interface ConfigContext {
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  home?: string;
}

export const DEFAULT_API_URL = 'http://localhost:8080';
export const DEFAULT_WEBSOCKET_URL = 'ws://localhost:8085';

export function resolveConfig(flags: GlobalFlags, context: ConfigContext): CliConfig {
  const { env } = context;
  const apiUrl = parseUrl(flags.apiUrl ?? nonEmpty(env.CHAT4ALL_API_URL) ?? DEFAULT_API_URL, flags.apiUrl ? '--api-url' : 'CHAT4ALL_API_URL', ['http:', 'https:']);
  const websocketUrl = parseUrl(
    flags.wsUrl ?? nonEmpty(env.CHAT4ALL_WEBSOCKET_URL) ?? DEFAULT_WEBSOCKET_URL,
    flags.wsUrl ? '--ws-url' : 'CHAT4ALL_WEBSOCKET_URL',
    ['ws:', 'wss:'],
  );
  // https://no-color.org: NO_COLOR set to anything but the empty string turns colour off.
  const colorAllowed = flags.color !== false && !nonEmpty(env.NO_COLOR) && env.TERM !== 'dumb';
  return {
    apiUrl,
    websocketUrl,
    configDir: configDir(env, context.home ?? homedir()),
    json: flags.json === true,
    color: { stdout: colorAllowed && context.stdoutIsTTY, stderr: colorAllowed && context.stderrIsTTY },
  };
}

/** CHAT4ALL_CONFIG_DIR, else $XDG_CONFIG_HOME/chat4all (when absolute, per the XDG spec), else ~/.config/chat4all. */
export function configDir(env: NodeJS.ProcessEnv, home: string): string {
  const explicit = nonEmpty(env.CHAT4ALL_CONFIG_DIR);
  if (explicit) return explicit;
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), 'chat4all');
}

function parseUrl(value: string, source: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${source}: not a URL: ${JSON.stringify(value)}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw usageError(`${source}: expected a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL, got ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
