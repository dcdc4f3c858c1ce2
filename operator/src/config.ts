import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError, type Env, envChoice as oneOf, envInt as int } from '@chat4all/core/runtime';

export { ConfigError };

/** chat4all-operator's configuration, parsed once from the environment, then frozen. */
export interface OperatorConfig {
  /** A kubeconfig file (KUBECONFIG), or undefined for the in-cluster service account. */
  kubeconfig: string | undefined;
  /** The namespace whose Chat4All resources, Deployments and gateway pods are watched. */
  namespace: string;
  /** Label selector of the pods watched: the gateway pods (the Deployments' own selectors pick among them). */
  podSelector: string;
  /** Namespace and name of the coordination.k8s.io Lease the replicas elect a leader on. */
  leaseNamespace: string;
  leaseName: string;
  leaseDurationSeconds: number;
  /** This replica's name in the Lease (POD_NAME, else hostname plus a random suffix). */
  identity: string;
  /** Every Chat4All is reconciled at least this often, whatever the watches say. */
  resyncSeconds: number;
  /** How often each Chat4All's gateway metrics are read (the requeue after a reconcile). */
  pollSeconds: number;
  /** Timeout of one pod's /metrics read. */
  metricsTimeoutMs: number;
  /** Concurrent reconciles (never two for the same Chat4All). */
  workers: number;
  metricsHost: string;
  /** Port of /metrics, /healthz and /readyz (0: any free port). */
  metricsPort: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  logFormat: 'json' | 'pretty';
}

const IN_CLUSTER_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** The characters of a label selector (`a=b,c in (x,y),!d`); the API server judges the rest. */
const LABEL_SELECTOR = /^[A-Za-z0-9_./=!,() -]+$/;
/** The gateway pods' component label, as the manifests set it (app.kubernetes.io/component). */
export const DEFAULT_POD_SELECTOR = 'app.kubernetes.io/component=gateway';

function name(variable: string, value: string | undefined, pattern: RegExp, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > max || !pattern.test(value)) throw new ConfigError(`${variable} must be a Kubernetes name (lower-case letters, digits and '-'), got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Reads and validates the configuration; throws ConfigError naming the variable at fault.
 *
 * KUBECONFIG (else the in-cluster service account), WATCH_NAMESPACE (else POD_NAMESPACE, else the
 * service account's namespace), GATEWAY_POD_SELECTOR (app.kubernetes.io/component=gateway),
 * LEASE_NAME (chat4all-operator), LEASE_DURATION_SECONDS (15), RESYNC_SECONDS (30), POLL_SECONDS
 * (15), METRICS_TIMEOUT_MS (1000), WORKERS (2), METRICS_HOST (0.0.0.0), METRICS_PORT (9090),
 * POD_NAME, POD_NAMESPACE, LOG_LEVEL (info), LOG_FORMAT (json).
 */
export function loadConfig(env: Env, readNamespaceFile: () => string | undefined = defaultNamespaceFile): OperatorConfig {
  const kubeconfig = env.KUBECONFIG || undefined;
  if (kubeconfig !== undefined && !existsSync(kubeconfig.split(':')[0]!)) throw new ConfigError(`KUBECONFIG names a file that does not exist: ${kubeconfig}`);
  if (kubeconfig === undefined && !env.KUBERNETES_SERVICE_HOST) {
    throw new ConfigError('KUBECONFIG is not set and this is not a pod (no KUBERNETES_SERVICE_HOST): set KUBECONFIG to reach the API server');
  }
  const namespace =
    name('WATCH_NAMESPACE', env.WATCH_NAMESPACE, DNS_LABEL, 63) ??
    name('POD_NAMESPACE', env.POD_NAMESPACE, DNS_LABEL, 63) ??
    (kubeconfig === undefined ? readNamespaceFile() : undefined) ??
    'default';
  const leaseDurationSeconds = int(env, 'LEASE_DURATION_SECONDS', 15, 2, 300);
  const podSelector = env.GATEWAY_POD_SELECTOR?.trim() || DEFAULT_POD_SELECTOR;
  if (!LABEL_SELECTOR.test(podSelector)) throw new ConfigError(`GATEWAY_POD_SELECTOR must be a label selector (e.g. ${DEFAULT_POD_SELECTOR}), got ${JSON.stringify(podSelector)}`);
  const config: OperatorConfig = {
    kubeconfig,
    namespace,
    podSelector,
    leaseNamespace: name('POD_NAMESPACE', env.POD_NAMESPACE, DNS_LABEL, 63) ?? namespace,
    leaseName: name('LEASE_NAME', env.LEASE_NAME, DNS_SUBDOMAIN, 253) ?? 'chat4all-operator',
    leaseDurationSeconds,
    identity: env.POD_NAME || `${hostname()}_${randomBytes(4).toString('hex')}`,
    resyncSeconds: int(env, 'RESYNC_SECONDS', 30, 1, 86_400),
    pollSeconds: int(env, 'POLL_SECONDS', 15, 1, 3600),
    metricsTimeoutMs: int(env, 'METRICS_TIMEOUT_MS', 1000, 50, 60_000),
    workers: int(env, 'WORKERS', 2, 1, 64),
    metricsHost: env.METRICS_HOST || '0.0.0.0',
    metricsPort: int(env, 'METRICS_PORT', 9090, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
  };
  if (config.identity.length > 253) throw new ConfigError('POD_NAME must be at most 253 characters');
  return Object.freeze(config);
}

function defaultNamespaceFile(): string | undefined {
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
