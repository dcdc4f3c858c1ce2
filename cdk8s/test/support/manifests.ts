import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/** Every non-empty document of a multi-document YAML stream. */
export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export const keyOf = (o: KubeObject): string => `${o.kind}/${o.metadata.name}`;

/**
 * The form two renderings are compared in: Secret values dropped (each side draws its own random
 * ones, `data` and `stringData` alike: only the keys are compared); ConfigMap values holding YAML or
 * JSON parsed, so formatting does not count. Everything else must be equal.
 */
export function normalize(o: KubeObject): KubeObject {
  const copy = structuredClone(o);
  if (copy.kind === 'Secret') {
    copy.keys = Object.keys({ ...(copy.data ?? {}), ...(copy.stringData ?? {}) }).sort();
    delete copy.data;
    delete copy.stringData;
  }
  if (copy.kind === 'ConfigMap' && copy.data) {
    for (const [k, v] of Object.entries(copy.data as Record<string, string>)) {
      if (/\.(ya?ml)$/.test(k)) copy.data[k] = parse(v);
      else if (k.endsWith('.json')) copy.data[k] = JSON.parse(v);
    }
  }
  return copy;
}

/** Differences between two sets of objects, as readable lines; empty when they are the same. */
export function diffManifests(left: KubeObject[], right: KubeObject[], names = ['left', 'right']): string[] {
  const l = new Map(left.map((o) => [keyOf(o), normalize(o)]));
  const r = new Map(right.map((o) => [keyOf(o), normalize(o)]));
  const out: string[] = [];
  for (const k of l.keys()) if (!r.has(k)) out.push(`${k}: only in ${names[0]}`);
  for (const k of r.keys()) if (!l.has(k)) out.push(`${k}: only in ${names[1]}`);
  for (const [k, a] of l) {
    const b = r.get(k);
    if (b !== undefined) out.push(...diffValues(a, b, k, names));
  }
  return out;
}

function diffValues(a: unknown, b: unknown, path: string, names: string[]): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return [`${path}: ${a.length} items in ${names[0]}, ${b.length} in ${names[1]}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffValues((a as any)[k], (b as any)[k], `${path}.${k}`, names));
  }
  return [`${path}: ${JSON.stringify(a)} in ${names[0]}, ${JSON.stringify(b)} in ${names[1]}`];
}
