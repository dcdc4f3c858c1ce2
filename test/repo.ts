/** The repository's root, for tests of the repository as a whole (its docs, its install, its Makefile). */
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
