import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskFullFigures, diskWithOneRun, fillDuringRun } from './diskFull/diskFull';
import { seededPoints } from './support/exampleBatch';

// Bounded in CI: a fixed seed and two tries, and one try where only the index's update meets the full disk;
// `npm run bench:faults disk` fills the disk 50 times.
const TRIES = 2;
const SEED = 20261202;

test('the output folder on a full disk (a small tmpfs): a clear error naming the folder, no torn line but a final one the reader drops, the earlier run and the index unchanged, a run it stopped unscored and resumed once space is freed, a run that wrote its last line first read as finished (real Docker, CLI processes, OpenAI wire-protocol test double)', async (context) => {
  const disk = await diskWithOneRun();
  try {
    const tries = [];
    for (const [at, free] of seededPoints(TRIES, SEED, disk.runBytes).map(Math.round).entries()) {
      const outcome = await fillDuringRun(disk.mountPoint, free, at);
      assert.deepEqual(outcome.faults, [], `${free} bytes free of a run's ${disk.runBytes}`);
      tries.push(outcome);
    }
    // Two KiB short of a run: the log fits and the index's rewrite does not (a tmpfs counts whole pages).
    const lastLineFirst = await fillDuringRun(disk.mountPoint, disk.runBytes - 2048, TRIES);
    assert.deepEqual(lastLineFirst.faults, []);
    assert.equal(lastLineFirst.runsFinishedFirst, 1, JSON.stringify(lastLineFirst));
    tries.push(lastLineFirst);
    const figures = diskFullFigures(tries, disk.runBytes);
    context.diagnostic(JSON.stringify(figures));
    assert.equal(figures.turns_lost + figures.runs_lost + figures.orphans, 0, JSON.stringify(figures));
  } finally {
    disk.unmount();
  }
});
