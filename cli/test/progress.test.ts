import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, noProgress, progressOn, PROGRESS_MIN_BYTES, ProgressBar, type StatusLine } from '../src/progress.js';

const MiB = 1024 * 1024;

/** A StatusLine that records what it was asked to show. */
function recorder(): StatusLine & { shown: string[]; cleared: number } {
  const line = { shown: [] as string[], cleared: 0, show: (text: string) => void line.shown.push(text), clear: () => void line.cleared++ };
  return line;
}

describe('formatProgress', () => {
  it('shows the bar, the percentage, the bytes and the rate', () => {
    assert.equal(
      formatProgress({ label: 'uploading big.bin', done: 12 * MiB, total: 48 * MiB, elapsedMs: 4000 }),
      'uploading big.bin [#####----------------]   25%  12.0 MiB / 48.0 MiB  3.0 MiB/s',
    );
  });

  it('leaves out the rate in the first half second, and shows 100% when done', () => {
    const start = formatProgress({ label: 'x', done: 0, total: 2 * MiB, elapsedMs: 100 });
    assert.equal(start, 'x [------------------------------]    0%  0 B / 2.0 MiB');
    const end = formatProgress({ label: 'x', done: 2 * MiB, total: 2 * MiB, elapsedMs: 1000 });
    assert.match(end, /\[#{30}\] {2}100% {2}2\.0 MiB \/ 2\.0 MiB {2}2\.0 MiB\/s$/);
  });

  it('fits a narrow terminal: the bar narrows or goes, the rate and the bytes go, the label is cut', () => {
    const label = `downloading ${'a-very-long-file-name-'.repeat(4)}.iso`;
    const at = (columns: number) => formatProgress({ label, done: 700 * MiB, total: 2048 * MiB, elapsedMs: 10_000, columns });
    assert.equal(at(80), 'downloading a-very-long… [####---------]   34%  700.0 MiB / 2.0 GiB  70.0 MiB/s');
    assert.equal(at(60), 'downloading a-very-…   34%  700.0 MiB / 2.0 GiB  70.0 MiB/s');
    assert.equal(at(40), 'downloading…   34%  700.0 MiB / 2.0 GiB');
    assert.equal(at(20), 'downloading …   34%');
    for (const columns of [200, 80, 60, 40, 30, 20, 5]) assert.ok([...at(columns)].length <= Math.max(columns, 20) - 1, `${columns}: ${at(columns)}`);
  });
});

describe('ProgressBar', () => {
  it('draws at most every 100 ms, always the last step, and clears its line when done', () => {
    let now = 1_000;
    const line = recorder();
    const bar = new ProgressBar({ label: 'up', total: 10 * MiB, line, now: () => now });
    assert.equal(line.shown.length, 1, 'drawn at once');
    bar.advance(MiB);
    now += 50;
    bar.advance(MiB);
    assert.equal(line.shown.length, 1, 'not twice within 100 ms');
    now += 60;
    bar.advance(MiB);
    assert.equal(line.shown.length, 2);
    assert.match(line.shown[1]!, /30% {2}3\.0 MiB \/ 10\.0 MiB/);
    bar.advance(7 * MiB);
    assert.equal(line.shown.length, 3, 'the last step is drawn even within 100 ms');
    assert.match(line.shown[2]!, /100%/);
    bar.finish();
    assert.equal(line.cleared, 1);
  });

  it('is shown only for files of at least 1 MiB, and never by noProgress', () => {
    const line = recorder();
    const progress = progressOn(line, () => 80);
    assert.equal(progress.start('small', PROGRESS_MIN_BYTES - 1), undefined);
    assert.ok(progress.start('large', PROGRESS_MIN_BYTES));
    assert.equal(line.shown.length, 1);
    assert.equal(noProgress.start('large', 10 * MiB), undefined);
  });
});
