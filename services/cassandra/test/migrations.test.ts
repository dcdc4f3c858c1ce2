import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { MIGRATIONS, parseMigrations, splitStatements } from '../src/migrations.js';

describe('migrations', () => {
  it('embeds the current cql/*.cql files', async () => {
    const script = fileURLToPath(new URL('../scripts/embed-cql.mjs', import.meta.url));
    await promisify(execFile)(process.execPath, [script, '--check']); // rejects (with the fix in stderr) when stale
  });

  it('are ordered by version, each a list of idempotent statements', () => {
    assert.deepEqual(MIGRATIONS.map((m) => m.version), [1, 2, 3, 4]);
    for (const m of MIGRATIONS) {
      assert.ok(m.statements.length > 0);
      for (const s of m.statements) assert.match(s, /^(CREATE TABLE IF NOT EXISTS \w+ \(|ALTER TABLE \w+ WITH comment = '|ALTER TABLE \w+ ADD IF NOT EXISTS \w+ \w+$)/, s);
    }
  });

  it('splits statements and drops comment lines', () => {
    assert.deepEqual(splitStatements('-- a comment; with a semicolon\nCREATE TABLE IF NOT EXISTS t (a int PRIMARY KEY);\n\n// other\nCREATE TABLE IF NOT EXISTS u (\n  b int PRIMARY KEY\n) WITH comment = \'x\';'), [
      'CREATE TABLE IF NOT EXISTS t (a int PRIMARY KEY)',
      "CREATE TABLE IF NOT EXISTS u (\n  b int PRIMARY KEY\n) WITH comment = 'x'",
    ]);
  });

  it('rejects bad file names and duplicate versions', () => {
    assert.throws(() => parseMigrations([{ file: 'initial.cql', text: '' }]), /bad migration file name/);
    assert.throws(() => parseMigrations([{ file: '001_a.cql', text: '' }, { file: '1_b.cql', text: '' }]), /two migrations have version 1/);
    assert.deepEqual(parseMigrations([{ file: '010_b.cql', text: '' }, { file: '002_a.cql', text: '' }]).map((m) => m.name), ['a', 'b']);
  });
});
