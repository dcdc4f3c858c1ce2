// Bundles a program into one ESM file that runs with plain `node` and needs no node_modules (the
// container images ship just that file; the CLI's package ships it beside a small launcher):
//   node scripts/build.mjs            chat4all-server  -> dist/chat4all-server.mjs
//   node scripts/build.mjs operator   chat4all-operator -> operator/dist/chat4all-operator.mjs
//   node scripts/build.mjs cli        chat4all (the CLI) -> cli/dist/chat4all.mjs
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const TARGETS = {
  server: { name: 'chat4all-server', dir: '.', entry: 'services/server/src/main.ts' },
  operator: { name: 'chat4all-operator', dir: 'operator', entry: 'src/main.ts' },
  // ws loads bufferutil and utf-8-validate if they are installed, and does without them otherwise.
  // The CLI's package carries the bundle and the licenses of what it bundles; no source map.
  cli: { name: 'chat4all', dir: 'cli', entry: 'src/bin.ts', external: ['bufferutil', 'utf-8-validate'], licenses: true, sourcemap: false },
};
const which = process.argv[2] ?? 'server';
const target = TARGETS[which];
if (!target) {
  console.error(`usage: node scripts/build.mjs [${Object.keys(TARGETS).join('|')}]`);
  process.exit(2);
}

const result = await build({
  absWorkingDir: fileURLToPath(new URL(`../${target.dir}/`, import.meta.url)),
  entryPoints: { [target.name]: target.entry },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: target.sourcemap ?? 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  external: target.external ?? [],
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  metafile: target.licenses === true,
});
if (target.licenses) await writeLicenses(result.metafile);
console.log(`built ${target.dir === '.' ? '' : `${target.dir}/`}dist/${target.name}.mjs`);

/**
 * dist/<name>.mjs.LICENSES.txt: the license of every package bundled into a program that is handed
 * out as a file of its own (the CLI's package), since their licenses ask to travel with their code.
 */
async function writeLicenses(metafile) {
  const root = fileURLToPath(new URL(`../${target.dir}/`, import.meta.url));
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(match[1]);
  }
  const sections = [];
  for (const dir of [...packages].sort()) {
    const path = join(root, dir);
    const { name, version, license } = JSON.parse(await readFile(join(path, 'package.json'), 'utf8'));
    const file = (await readdir(path)).find((f) => /^(licen[cs]e|copying)(\..*)?$/i.test(f));
    const text = file ? await readFile(join(path, file), 'utf8') : `${license ?? 'see the package'} (no license file in the package)`;
    sections.push(`${name}@${version} (${license ?? 'unknown'})\n\n${text.trim()}\n`);
  }
  const out = join(root, 'dist', `${target.name}.mjs.LICENSES.txt`);
  await writeFile(out, `Packages bundled into ${target.name}.mjs, with their licenses.\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`);
}
