import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const KUBE_SH = `${REPO}scripts/kube.sh`;

/**
 * The API server these tests use: scripts/kube.sh's etcd + kube-apiserver, as an instance of their
 * own (state under .run/cdk8s-kube, ports 22379/22380/26443 unless set) so that other suites
 * starting and stopping the default instance never pull it away mid-test.
 */
const INSTANCE_ENV: Record<string, string> = {
  CHAT4ALL_STATE: process.env.CHAT4ALL_CDK8S_KUBE_STATE ?? `${REPO}.run/cdk8s-kube`,
  CHAT4ALL_KUBE_ETCD_PORT: process.env.CHAT4ALL_CDK8S_ETCD_PORT ?? '22379',
  CHAT4ALL_KUBE_ETCD_PEER_PORT: process.env.CHAT4ALL_CDK8S_ETCD_PEER_PORT ?? '22380',
  CHAT4ALL_KUBE_API_PORT: process.env.CHAT4ALL_CDK8S_API_PORT ?? '26443',
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

/** The environment of scripts/kube.sh env: KUBECONFIG, and PATH with kubectl and helm first. */
function toolEnv(): NodeJS.ProcessEnv {
  const out = kubeSh('env').stdout;
  const env: NodeJS.ProcessEnv = { ...process.env, ...INSTANCE_ENV };
  for (const m of out.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) {
    const value = m[2]!.replace(/^'(.*)'$/, '$1').replace(/:"\$PATH"$/, `:${process.env.PATH}`);
    env[m[1]!] = value;
  }
  return env;
}

/** kubectl and helm from the cache, installing them first when needed (a cold build takes minutes). */
export function kubeTools(): NodeJS.ProcessEnv {
  const install = kubeSh('install', 3_600_000);
  if (install.status !== 0) throw new Error(`scripts/kube.sh install failed:\n${install.stderr}`);
  return toolEnv();
}

/** Starts the tests' API server unless it is up; `stop()` stops it only if this call started it. */
export function startApiServer(): { env: NodeJS.ProcessEnv; stop: () => void } {
  const env = kubeTools();
  const wasUp = kubeSh('status').status === 0;
  if (!wasUp) {
    const up = kubeSh('up');
    if (up.status !== 0) throw new Error(`scripts/kube.sh up failed:\n${up.stderr}`);
  }
  return {
    env,
    stop: () => {
      if (!wasUp) kubeSh('down');
    },
  };
}
