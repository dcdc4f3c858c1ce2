import { tmpdir } from 'node:os';
import { ApiObject, App } from 'cdk8s';
import { CREATE_ONLY_ANNOTATION } from '../platform/generated-secret.js';
import type { PropsTypeRef } from './values-model.js';

export type Scalar = null | boolean | number | string;
export type Json = Scalar | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

/** What the generator turns into a chart: the props type and how to build the charts from props. */
export interface ChartSource {
  readonly props: PropsTypeRef;
  /** Adds every chart to `app` for `props`; throws PropsError when the props are wrong. */
  build(app: App, props: JsonMap): void;
}

/** One synthesized object: its cdk8s chart, its construct path (stable across props) and its manifest. */
export interface SynthObject {
  readonly chart: string;
  readonly path: string;
  readonly manifest: JsonMap;
}

/** Every object of one synthesis, by construct path, in synthesis order. */
export type Snapshot = ReadonlyMap<string, SynthObject>;

/**
 * Stands for a random value of a create-only Secret: each synthesis draws new ones, so they are
 * compared by length only, and the chart draws them at install time.
 */
export const RANDOM_PREFIX = '\u0000random:';

/** Builds the app for `props` without writing anything. Throws what the constructs throw. */
export function buildApp(source: ChartSource, props: JsonMap): App {
  const app = new App({ outdir: tmpdir() });
  source.build(app, props);
  return app;
}

/** Synthesizes `props` into a snapshot; random Secret values become RANDOM_PREFIX + their length. */
export function snapshotOf(source: ChartSource, props: JsonMap): Snapshot {
  const app = buildApp(source, props);
  const objects = new Map<string, SynthObject>();
  for (const chart of app.charts) {
    for (const node of chart.node.findAll()) {
      if (!(node instanceof ApiObject)) continue;
      const manifest = maskRandom(node.toJson() as JsonMap);
      objects.set(node.node.path, { chart: chart.node.id, path: node.node.path, manifest });
    }
  }
  return objects;
}

/** Whether a manifest is a Secret whose values are drawn at random and created once. */
export function isCreateOnlySecret(manifest: JsonMap): boolean {
  const annotations = (manifest.metadata as JsonMap | undefined)?.annotations as JsonMap | undefined;
  return manifest.kind === 'Secret' && annotations?.[CREATE_ONLY_ANNOTATION] === 'true';
}

function maskRandom(manifest: JsonMap): JsonMap {
  if (!isCreateOnlySecret(manifest) || !manifest.stringData) return manifest;
  const stringData = Object.fromEntries(Object.entries(manifest.stringData as JsonMap).map(([k, v]) => [k, `${RANDOM_PREFIX}${String(v).length}`]));
  return { ...manifest, stringData };
}

/** A copy of `props` with each `path` set to its value, creating objects on the way. */
export function withValues(props: JsonMap, values: ReadonlyArray<readonly [readonly string[], Json]>): JsonMap {
  const out = structuredClone(props);
  for (const [path, value] of values) {
    let node = out;
    for (const name of path.slice(0, -1)) {
      if (typeof node[name] !== 'object' || node[name] === null) node[name] = {};
      node = node[name] as JsonMap;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/** The value at `path` in `props`, or undefined. */
export function valueAt(props: Json, path: readonly string[]): Json | undefined {
  let node: Json | undefined = props;
  for (const name of path) node = node !== null && typeof node === 'object' && !Array.isArray(node) ? node[name] : undefined;
  return node;
}
