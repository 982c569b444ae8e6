import assert from 'node:assert/strict';
import { test } from 'node:test';
import { twoWriters } from './sharedFolder/twoWriters';

// Bounded in CI: 25 runs a writer; `npm run bench:faults` records 500 each.
test('two processes recording runs into one output folder: every run in the index once, no damaged line; a running run names its live writer, and one whose writer was killed reads as left behind (real processes)', async () => {
  const figures = await twoWriters(25);
  assert.deepEqual(figures.faults, []);
  assert.equal(figures.runs_lost + figures.lines_damaged + figures.owners_misjudged, 0);
});
