/**
 * Summarizes a V8 CPU profile (.cpuprofile, from node --cpu-prof) by self time per function, or a
 * heap snapshot (.heapsnapshot) by retained-free "self size" per constructor, to find what a
 * benchmark's figure is made of.
 * Usage: bench/run.sh bench/tools/profile-summary.ts FILE [top=30] [divide-by=1]
 *   divide-by: e.g. the connection count, to print bytes per connection.
 */
import { readFileSync } from 'node:fs';

const [file, topArg, divArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.ts FILE.cpuprofile|FILE.heapsnapshot [top] [divide-by]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const div = Number(divArg ?? 1);

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function cpu(profile: { nodes: CpuNode[]; samples: number[]; timeDeltas: number[] }): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}

function heap(snap: { snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } }; nodes: number[]; strings: string[] }): void {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const by = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType!]!]!;
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + iName!]!]! : `(${type})`;
    const size = snap.nodes[i + iSize!]!;
    total += size;
    const e = by.get(name) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    by.set(name, e);
  }
  console.log(`total ${(total / 2 ** 20).toFixed(1)} MiB${div > 1 ? `, ${(total / div).toFixed(0)} B per unit` : ''}`);
  for (const [k, v] of [...by].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    console.log(`${(v.size / div).toFixed(0).padStart(8)} B  ${(v.count / div).toFixed(2).padStart(7)} x  ${k.slice(0, 90)}`);
  }
}

const data = JSON.parse(readFileSync(file, 'utf8'));
if (file.endsWith('.cpuprofile')) cpu(data);
else heap(data);
