/**
 * Writes docs/openapi.json: the document the api serves, built from the route table of @chat4all/contract.
 * Run from the repository root: node --import tsx services/api/scripts/write-openapi.ts
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILE, renderOpenApiJson } from '../src/openapi-file.js';

const target = fileURLToPath(new URL(`../../../${OPENAPI_FILE}`, import.meta.url));
await writeFile(target, await renderOpenApiJson());
process.stdout.write(`wrote ${target}\n`);
