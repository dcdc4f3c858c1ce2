import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const KUBE_SH = `${REPO}scripts/kube.sh`;

/**
 * The API server of the operator's tests: scripts/kube.sh's etcd + kube-apiserver as an instance
 * of their own (state under .run/operator-kube, ports 24379/24380/28443 unless set), so that other
 * suites starting and stopping theirs never pull it away mid-test.
 */
export const INSTANCE_ENV: Record<string, string> = {
  CHAT4ALL_STATE: process.env.CHAT4ALL_OPERATOR_KUBE_STATE ?? `${REPO}.run/operator-kube`,
  CHAT4ALL_KUBE_ETCD_PORT: process.env.CHAT4ALL_OPERATOR_ETCD_PORT ?? '24379',
  CHAT4ALL_KUBE_ETCD_PEER_PORT: process.env.CHAT4ALL_OPERATOR_ETCD_PEER_PORT ?? '24380',
  CHAT4ALL_KUBE_API_PORT: process.env.CHAT4ALL_OPERATOR_API_PORT ?? '28443',
};

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`), with `input` on its stdin. */
export function run(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, { input: options.input, env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function kubeSh(command: string, timeoutMs = 300_000): RunResult {
  return run(KUBE_SH, [command], { env: { ...process.env, ...INSTANCE_ENV }, timeoutMs });
}

/** The environment of `scripts/kube.sh env`: KUBECONFIG, and PATH with kubectl first. */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...INSTANCE_ENV };
  for (const m of kubeSh('env').stdout.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) {
    env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/:"\$PATH"$/, `:${process.env.PATH}`);
  }
  return env;
}

/** Starts the tests' API server unless it is up (installing the binaries on first use); `stop()` stops it only if this call started it. */
export function startApiServer(): { env: NodeJS.ProcessEnv; kubeconfig: string; stop: () => void } {
  const install = kubeSh('install', 3_600_000);
  if (install.status !== 0) throw new Error(`scripts/kube.sh install failed:\n${install.stderr}`);
  const wasUp = kubeSh('status').status === 0;
  if (!wasUp) {
    const up = kubeSh('up');
    if (up.status !== 0) throw new Error(`scripts/kube.sh up failed:\n${up.stderr}`);
  }
  const env = toolEnv();
  return {
    env,
    kubeconfig: env.KUBECONFIG!,
    stop: () => {
      if (!wasUp) kubeSh('down');
    },
  };
}
