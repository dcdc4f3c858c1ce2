import type { PodSample } from './decision.js';

/** The gauge each gateway exports: its open, authenticated WebSocket connections. */
export const CONNECTIONS_METRIC = 'websocket_connections_active';

/** Reads the connection counts of gateway pods. */
export interface MetricsReader {
  /** One sample per pod, in the same order; `connections` undefined when a pod could not be read. */
  read(pods: readonly { name: string; ip: string }[], port: number): Promise<PodSample[]>;
}

/**
 * The value of `websocket_connections_active` in a Prometheus text exposition (summed over its
 * series, if it has labels), or undefined when the metric is not there or not a number.
 */
export function parseConnections(text: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(CONNECTIONS_METRIC)) continue;
    const rest = line.slice(CONNECTIONS_METRIC.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const labelsEnd = rest[0] === '{' ? rest.indexOf('}') + 1 : 0;
    const [value] = rest.slice(labelsEnd).trim().split(/\s+/);
    const n = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(n) || n < 0) return undefined;
    sum = (sum ?? 0) + n;
  }
  return sum === undefined ? undefined : Math.round(sum);
}

/** Fetches http://<podIP>:<port>/metrics from every pod at once, each bounded by `timeoutMs`. */
export class HttpMetricsReader implements MetricsReader {
  constructor(private readonly timeoutMs: number) {}

  async read(pods: readonly { name: string; ip: string }[], port: number): Promise<PodSample[]> {
    return Promise.all(pods.map(async (p) => ({ name: p.name, connections: await this.readOne(p.ip, port) })));
  }

  private async readOne(ip: string, port: number): Promise<number | undefined> {
    const host = ip.includes(':') ? `[${ip}]` : ip;
    try {
      const res = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        return undefined;
      }
      return parseConnections(await res.text());
    } catch {
      return undefined;
    }
  }
}
