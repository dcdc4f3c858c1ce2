#!/usr/bin/env node
// The `chat4all` command. Installed from the package (npm install -g), it runs the bundle
// dist/chat4all.mjs, which needs nothing but Node. In a checkout of the repository (src/ is there),
// it runs the TypeScript sources through tsx, so `npx chat4all` always runs the code as it is.
import { existsSync } from 'node:fs';

const sources = new URL('../src/bin.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/chat4all.mjs');
}
