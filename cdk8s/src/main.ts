// `make synth`: writes Chat4All's manifests, one file per chart, into cdk8s/dist/ (or the
// directory given as the first argument). PROFILE picks a set of props (profiles.ts: default,
// small); SERVER_IMAGE and OPERATOR_IMAGE override the images, INGRESS_HOST the ingress host.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chat4allApp } from './app.js';
import { profile } from './profiles.js';

const outdir = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('../dist', import.meta.url));
const server = process.env.SERVER_IMAGE;
const operator = process.env.OPERATOR_IMAGE;
const host = process.env.INGRESS_HOST;
const props = profile(process.env.PROFILE || 'default');
const { app } = chat4allApp(outdir, {
  ...props,
  platform: { ...props.platform, ...(server ? { image: server } : {}), ...(host ? { ingress: { ...props.platform?.ingress, host } } : {}) },
  ...(operator ? { operator: { ...props.operator, operator: { ...props.operator?.operator, image: operator } } } : {}),
});
app.synth();
console.error(`synthesized ${app.charts.length} charts (profile ${process.env.PROFILE || 'default'}) into ${outdir}`);
