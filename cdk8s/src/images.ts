import { readFileSync } from 'node:fs';

/**
 * The images Chat4All's manifests run, as images/catalog.env names them: every one is built by
 * `make images` (scripts/cluster/images.sh reads the same file), so a name is written once. They
 * are the constructs' default `image` props; on a real cluster, push them to a registry and set
 * the props (or the Helm values) to the pushed names.
 */
export const IMAGES: Readonly<Record<string, string>> = readCatalog();

function readCatalog(): Record<string, string> {
  const text = readFileSync(new URL('../../images/catalog.env', import.meta.url), 'utf8');
  const entries = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([A-Z0-9_]+)=(\S+)$/.exec(l);
      if (!m) throw new Error(`images/catalog.env: cannot read ${JSON.stringify(l)}`);
      return [m[1], m[2]] as const;
    });
  return Object.fromEntries(entries);
}

/** One image of the catalog by its variable name (SERVER_IMAGE, KAFKA_IMAGE, ...); throws when missing. */
export function imageOf(name: string): string {
  const image = IMAGES[name];
  if (!image) throw new Error(`images/catalog.env has no ${name}`);
  return image;
}
