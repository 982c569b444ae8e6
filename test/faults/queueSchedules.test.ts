import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSchedule, queueScheduleFigures, runSchedule, seededSchedules } from './queue/queueSchedules';

// Bounded in CI: one schedule, its seed chosen for striking all three (a Redis restart after 3 turns, a kill after 3,
// a pause after 4); `npm run bench:faults queue` runs 50 schedules.
const SCHEDULES = 1;
const SEED = 20261260;

test('queue fault schedules (a worker SIGKILLed, Redis restarted on its data, a worker SIGSTOPped past its job lock): every job completes with exactly one whole trajectory per attempt, resolved, none scored by a fault, no orphan container (real Redis, real Docker, rollout worker processes, OpenAI wire-protocol test double)', async (context) => {
  const tries = [];
  for (const schedule of seededSchedules(SCHEDULES, SEED)) {
    const outcome = await runSchedule(schedule);
    context.diagnostic(describeSchedule(outcome));
    assert.deepEqual(outcome.faults, [], describeSchedule(outcome));
    tries.push(outcome);
  }
  const figures = queueScheduleFigures(tries);
  context.diagnostic(JSON.stringify(figures));
  for (const kind of ['kill', 'redis', 'pause'] as const)
    assert.ok(figures.struck[kind] > 0, `no ${kind} struck: ${JSON.stringify(figures)}`);
  assert.equal(figures.runs_lost + figures.duplicates + figures.scored + figures.orphans, 0, JSON.stringify(figures));
});
