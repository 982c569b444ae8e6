import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchTotals, describeResolved } from '../../../src/core/agent/batch';
import type { RolloutSummary } from '../../../src/core/agent/rollout';

function summary(exitStatus: RolloutSummary['exitStatus'], reward: number | null): RolloutSummary {
  const resolved = reward === null ? null : reward === 1;
  return {
    runId: '',
    taskId: 't',
    attempt: 0,
    exitStatus,
    resolved,
    reward,
    turns: 1,
    tokens: 0,
    durationMs: 0,
    path: '',
  };
}

describe('batch totals', () => {
  test('the resolved rate is over scored rollouts, as the report counts it; unscored ones are named by exit status', () => {
    const totals = batchTotals(
      [
        summary('submitted', 1),
        summary('turn_limit', 0),
        summary('infra_error', null),
        summary('error', null), // refused before it started: no log parser for its repository
        summary('cancelled', null),
        summary('error', null),
      ],
      0,
    );
    assert.deepEqual([totals.rollouts, totals.resolved, totals.scored], [6, 1, 2]);
    assert.equal(totals.meanReward, 0.5);
    assert.equal(describeResolved(totals), 'resolved 1/2 (4 unscored: 1 infrastructure error, 2 error, 1 cancelled)');
    assert.equal(describeResolved(batchTotals([summary('submitted', 0)], 0)), 'resolved 0/1');
  });
});
