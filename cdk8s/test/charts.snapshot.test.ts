import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { addChat4All } from '../src/app.js';
import { matchSnapshot } from './support/snapshot.js';

/** Secret values are random on every synthesis: the snapshot records their keys and lengths. */
function maskSecrets(objects: any[]): any[] {
  return objects.map((o) =>
    o.kind === 'Secret' ? { ...o, stringData: Object.fromEntries(Object.entries(o.stringData as Record<string, string>).map(([k, v]) => [k, `<random, ${v.length} characters>`])) } : o,
  );
}

describe('the whole charts', () => {
  const charts = addChat4All(Testing.app());
  for (const [name, chart] of Object.entries(charts)) {
    it(`${name} matches its snapshot`, () => matchSnapshot(name, maskSecrets(Testing.synth(chart))));
  }

  it('draws new secret values on every synthesis, so none is ever written in the repository', () => {
    const value = () => Testing.synth(addChat4All(Testing.app()).secrets).find((o) => o.metadata.name === 'chat4all-jwt').stringData.JWT_SECRET;
    const [a, b] = [value(), value()];
    assert.notEqual(a, b);
    assert.ok(Buffer.byteLength(a) >= 32, 'JWT_SECRET must be at least 32 bytes');
  });
});
