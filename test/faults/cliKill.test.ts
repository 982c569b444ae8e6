import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killAndResume, killFigures, uninterruptedBatchMs } from './kill/cliKill';
import { seededPoints } from './support/exampleBatch';

// Bounded in CI: a fixed seed and two kills; `npm run bench:faults` kills 50 batches.
const TRIES = 2;
const SEED = 20261202;

test('the CLI SIGKILLed at random moments of a batch: every finished turn readable, every run resumed to the end, no orphan container after the next start (real Docker, CLI processes, OpenAI wire-protocol test double)', async (context) => {
  const batchMs = await uninterruptedBatchMs();
  const tries = [];
  for (const moment of seededPoints(TRIES, SEED, batchMs)) {
    const outcome = await killAndResume(moment);
    assert.deepEqual(outcome.faults, [], `killed at ${outcome.killedAtMs} ms of ${Math.round(batchMs)} ms`);
    tries.push(outcome);
  }
  const figures = killFigures(tries, batchMs);
  context.diagnostic(JSON.stringify(figures));
  assert.equal(figures.turns_lost + figures.runs_lost + figures.orphans, 0, JSON.stringify(figures));
});
