// Bundles chat4all-server into one file, dist/chat4all-server.mjs, that runs with plain `node`
// and needs no node_modules (the container image ships just this file).
import { build } from 'esbuild';

await build({
  entryPoints: { 'chat4all-server': 'services/server/src/main.ts' },
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
console.log('built dist/chat4all-server.mjs');
