// scripts/cluster/kind.sh: writes the kind cluster's add-ons (network, ingress controller) into
// the directory given as the first argument, with the images of images/catalog.env.
import { resolve } from 'node:path';
import { imageOf } from '../images.js';
import { clusterAddonsApp } from './cluster-app.js';

const outdir = resolve(process.argv[2] ?? 'cdk8s/dist-cluster');
const { app } = clusterAddonsApp(outdir, {
  kubeRouter: { image: imageOf('KUBE_ROUTER_IMAGE') },
  traefik: { image: imageOf('TRAEFIK_IMAGE') },
});
app.synth();
console.error(`synthesized the cluster add-ons into ${outdir}`);
