import { ConfigError } from '@chat4all/core/runtime';

/** The flag that overrides each port variable (see FLAGS in config.ts). */
const FLAG_OF: Record<string, string> = { API_PORT: '--api-port', WEBSOCKET_PORT: '--websocket-port', METRICS_PORT: '--metrics-port' };

/**
 * Why a listener could not start, as a ConfigError naming the variable to change, the way a bad
 * value is reported: `API_PORT: port 8080 on 127.0.0.1 is already in use ...`. Anything but a
 * port in use, a privileged port or an address that is not this machine's is returned as it is.
 */
export function listenError(err: unknown, variable: string, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const change = `set ${variable} (or ${FLAG_OF[variable] ?? variable}) to another port`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(`${variable}: port ${port} on ${host} is already in use (another chat4all-server, or \`make run\` in another terminal?); stop it, or ${change}`, { cause: err });
    case 'EACCES':
      return new ConfigError(`${variable}: port ${port} on ${host} needs privileges this process does not have; ${change}, above 1023`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ConfigError(`HOST: ${host} is not an address of this machine (${variable} is ${port}); set HOST (or --host) to one of its addresses, 127.0.0.1 or 0.0.0.0`, { cause: err });
    default:
      return err;
  }
}

/** Runs `listen` and reports its failure with listenError. */
export async function listening<T>(variable: string, host: string, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    throw listenError(err, variable, host, port);
  }
}
