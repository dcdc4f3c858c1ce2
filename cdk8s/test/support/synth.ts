import { Chart, Testing } from 'cdk8s';
import type { Construct } from 'constructs';

/** Synthesizes what `build` adds to a fresh chart, as plain objects. */
export function synthOf(build: (scope: Construct) => void): any[] {
  const chart = new Chart(Testing.app(), 'test');
  build(chart);
  return Testing.synth(chart);
}

/** The one object of `kind` (and `name`, when given); fails the test when there is not exactly one. */
export function one(objects: any[], kind: string, name?: string): any {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found[0];
}

/** A container's env as a name -> value map (valueFrom entries as their JSON). */
export function envOf(container: any): Record<string, any> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}
