import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { engineRestartFigures, engineWithImage, restartDuringBatch } from './engineRestart/engineRestart';
import { BATCH_TURNS, seededPoints } from './support/exampleBatch';

// Bounded in CI: a fixed seed and two restarts; `npm run bench:faults engine` restarts it 50 times.
const TRIES = 2;
const SEED = 20261202;

test("the Docker engine restarted mid-batch (a private dockerd, never the machine's): affected runs end infra_error, none scored, retried to a resolved end, no orphan container after the retry started (real Docker, CLI processes, OpenAI wire-protocol test double)", async (context) => {
  const machineBridges = bridges();
  const engine = await engineWithImage();
  try {
    const tries = [];
    for (const point of seededPoints(TRIES, SEED, BATCH_TURNS)) {
      const outcome = await restartDuringBatch(engine, Math.floor(point));
      assert.deepEqual(outcome.faults, [], `restarted after ${outcome.restartedAfterTurns} of ${BATCH_TURNS} turns`);
      tries.push(outcome);
    }
    const figures = engineRestartFigures(tries);
    assert.ok(figures.affected > 0, `no run was affected: ${JSON.stringify(figures)}`);
    context.diagnostic(JSON.stringify(figures));
    assert.equal(figures.scored + figures.runs_lost + figures.orphans, 0, JSON.stringify(figures));
  } finally {
    await engine.stop();
  }
  assert.deepEqual(bridges(), machineBridges, "the machine's network bridges (docker0) are as they were");
});

/** The network bridges of the machine's own network namespace. */
function bridges(): string[] {
  return execFileSync('ip', ['-brief', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(/\s+/)[0])
    .filter(Boolean)
    .sort();
}
