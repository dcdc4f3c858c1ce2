// Bundles a program into one ESM file that runs with plain `node` and needs no node_modules (the
// container images ship just that file):
//   node scripts/build.mjs            chat4all-server  -> dist/chat4all-server.mjs
//   node scripts/build.mjs operator   chat4all-operator -> operator/dist/chat4all-operator.mjs
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const TARGETS = {
  server: { name: 'chat4all-server', dir: '.', entry: 'services/server/src/main.ts' },
  operator: { name: 'chat4all-operator', dir: 'operator', entry: 'src/main.ts' },
};
const which = process.argv[2] ?? 'server';
const target = TARGETS[which];
if (!target) {
  console.error(`usage: node scripts/build.mjs [${Object.keys(TARGETS).join('|')}]`);
  process.exit(2);
}

await build({
  absWorkingDir: fileURLToPath(new URL(`../${target.dir}/`, import.meta.url)),
  entryPoints: { [target.name]: target.entry },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
console.log(`built ${target.dir === '.' ? '' : `${target.dir}/`}dist/${target.name}.mjs`);
