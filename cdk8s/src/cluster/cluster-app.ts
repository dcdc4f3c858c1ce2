import { App, Chart, YamlOutputType } from 'cdk8s';
import { KubeRouter, type KubeRouterProps } from './kube-router.js';
import { Traefik, type TraefikProps } from './traefik.js';

/** The add-ons a kind cluster needs before the platform: its network and its ingress controller. */
export interface ClusterAddonsProps {
  readonly kubeRouter: KubeRouterProps;
  readonly traefik: TraefikProps;
}

/**
 * A new App writing the cluster's add-ons into `outdir`: `network.k8s.yaml` (kube-router: pod
 * network and NetworkPolicies) and `ingress.k8s.yaml` (Traefik). scripts/cluster/kind.sh applies
 * them after `kind create cluster`. They are not part of the platform (nor of its Helm chart): a
 * real cluster brings its own CNI and ingress controller.
 */
export function clusterAddonsApp(outdir: string, props: ClusterAddonsProps): { app: App; traefik: Traefik } {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml' });
  new KubeRouter(new Chart(app, 'network'), 'KubeRouter', props.kubeRouter);
  const traefik = new Traefik(new Chart(app, 'ingress'), 'Traefik', props.traefik);
  return { app, traefik };
}
