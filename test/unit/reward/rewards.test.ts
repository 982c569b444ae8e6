import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryReward } from '../../../src/core/reward/binaryReward';
import { DEFAULT_GATED_OPTIONS, gatedReward } from '../../../src/core/reward/gatedReward';
import type { EvaluationStatus } from '../../../src/core/reward/evaluator';
import { REWARD_FUNCTIONS } from '../../../src/core/reward/index';
import { partialCreditReward } from '../../../src/core/reward/partialCreditReward';
import { outcomeLevel, type RewardInput } from '../../../src/core/reward/rewardFn';
import type { TestStatus } from '../../../src/core/reward/testStatus';
import { turnReward } from '../../../src/core/reward/turnReward';
import { evaluationOf } from '../../support/evaluations';

const expected = { failToPass: ['f1', 'f2', 'f3', 'f4'], passToPass: ['p1', 'p2'] };

function evaluation(
  status: EvaluationStatus,
  patch: string | null,
  outcomes: Record<string, TestStatus> = {},
): RewardInput['evaluation'] {
  if (patch === null) return evaluationOf('no-patch', expected);
  if (patch === '') return evaluationOf('empty-patch', expected);
  return evaluationOf(status, expected, outcomes);
}

const allPass = { f1: 'PASSED', f2: 'PASSED', f3: 'PASSED', f4: 'PASSED', p1: 'PASSED', p2: 'PASSED' } as const;
const halfFixedOneBroken = {
  f1: 'PASSED',
  f2: 'PASSED',
  f3: 'FAILED',
  f4: 'FAILED',
  p1: 'PASSED',
  p2: 'FAILED',
} as const;

describe('reward functions', () => {
  test('every reward function scores an infrastructure error as null, never 0', () => {
    for (const [name, make] of Object.entries(REWARD_FUNCTIONS)) {
      const reward = make().compute({ evaluation: evaluation('infra-error', 'x'), turnSignals: [{ diff_changed: 1 }] });
      assert.equal(reward.value, null, name);
    }
  });

  test('binary: 1 for resolved, 0 otherwise', () => {
    assert.equal(binaryReward.compute({ evaluation: evaluation('resolved', 'x', allPass) }).value, 1);
    assert.equal(binaryReward.compute({ evaluation: evaluation('unresolved', 'x', halfFixedOneBroken) }).value, 0);
    assert.equal(binaryReward.compute({ evaluation: evaluation('patch-failed', 'x') }).value, 0);
  });

  test('partial credit: share of FAIL_TO_PASS fixed, minus the share of PASS_TO_PASS broken, within [0, 1]', () => {
    assert.equal(partialCreditReward().compute({ evaluation: evaluation('resolved', 'x', allPass) }).value, 1);
    assert.equal(
      partialCreditReward().compute({ evaluation: evaluation('unresolved', 'x', halfFixedOneBroken) }).value,
      0,
    );
    assert.equal(
      partialCreditReward(0.5).compute({ evaluation: evaluation('unresolved', 'x', halfFixedOneBroken) }).value,
      0.25,
    );
    const halfFixed = { ...halfFixedOneBroken, p2: 'PASSED' } as const;
    assert.equal(partialCreditReward().compute({ evaluation: evaluation('unresolved', 'x', halfFixed) }).value, 0.5);
    assert.equal(partialCreditReward().compute({ evaluation: evaluation('patch-failed', 'x') }).value, 0);
  });

  test('outcome levels order no submission < empty patch < patch fails to apply < tests fail < tests pass', () => {
    assert.deepEqual(
      [
        evaluation('unresolved', null),
        evaluation('unresolved', ''),
        evaluation('patch-failed', 'x'),
        evaluation('unresolved', 'x', halfFixedOneBroken),
        evaluation('resolved', 'x', allPass),
      ].map(outcomeLevel),
      ['no-submission', 'empty-patch', 'patch-failed', 'tests-fail', 'tests-pass'],
    );
  });

  test('gated: turn rewards count only when the outcome clears the gate, and are capped', () => {
    const clean = { diff_changed: 1 };
    const turns = [clean, clean, undefined];
    const testsFail = gatedReward().compute({
      evaluation: evaluation('unresolved', 'x', halfFixedOneBroken),
      turnSignals: turns,
    });
    assert.deepEqual(testsFail.turnRewards, [0, 0, 0], 'failing tests: the default gate (tests-pass) stays shut');
    assert.equal(testsFail.value, 0);
    const passed = gatedReward().compute({ evaluation: evaluation('resolved', 'x', allPass), turnSignals: turns });
    assert.ok(Math.abs((passed.value ?? NaN) - 1.2) < 1e-9);
    assert.deepEqual(passed.turnRewards, [0.1, 0.1, 0]);
    const churn = gatedReward().compute({
      evaluation: evaluation('resolved', 'x', allPass),
      turnSignals: Array.from({ length: 30 }, () => clean),
    });
    assert.equal(churn.value, 1.25, 'thirty changing turns earn no more than the cap');
    const sum = (churn.turnRewards ?? []).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 0.25) < 1e-9, 'the credited turn rewards add up to what the value holds');
    const errors = gatedReward().compute({
      evaluation: evaluation('resolved', 'x', allPass),
      turnSignals: [{ format_errors: 3, tool_errors: 3, diff_changed: 0 }],
    });
    assert.ok(Math.abs((errors.value ?? NaN) - 0.75) < 1e-9, 'errors are penalties, capped at the same bound');
    const open = gatedReward({ gate: 'tests-fail', turnRewardCap: 0.1 }).compute({
      evaluation: evaluation('unresolved', 'x', halfFixedOneBroken),
      turnSignals: turns,
    });
    assert.ok(Math.abs((open.value ?? NaN) - 0.1) < 1e-9);
  });

  test('gated: options that would let a worse outcome outscore a better one are refused, naming the bound', () => {
    assert.throws(
      () => gatedReward({ gate: 'tests-fail' }),
      /turnRewardCap must be at least 0 and below 0\.25 with gate tests-fail/,
    );
    assert.throws(() => gatedReward({ turnRewardCap: 1 }), /below 1 with gate tests-pass/);
    assert.throws(
      () => gatedReward({ outcomeRewards: { ...DEFAULT_GATED_OPTIONS.outcomeRewards, 'tests-pass': 0 } }),
      /outcomeRewards\.tests-pass must be greater than outcomeRewards\.tests-fail/,
    );
  });

  test('gated: a better outcome never earns less than a worse one without turn rewards', () => {
    const levels = [
      evaluation('unresolved', null),
      evaluation('unresolved', ''),
      evaluation('patch-failed', 'x'),
      evaluation('unresolved', 'x', halfFixedOneBroken),
      evaluation('resolved', 'x', allPass),
    ];
    const values = levels.map((input) => gatedReward().compute({ evaluation: input }).value as number);
    assert.deepEqual(
      [...values].sort((a, b) => a - b),
      values,
    );
  });
});

describe('the turn reward', () => {
  test('weighs the signals; a turn with an error earns at most 0, whatever else it changed', () => {
    assert.equal(turnReward(undefined), 0);
    assert.equal(turnReward({ diff_changed: 1, format_errors: 0, tool_errors: 0 }), 0.1);
    assert.equal(turnReward({ diff_changed: 1, tool_errors: 1 }), 0, 'the change does not pay for the failed call');
    assert.ok(Math.abs(turnReward({ diff_changed: 1, format_errors: 3 }) + 0.05) < 1e-12);
    assert.equal(turnReward({ tool_errors: 2 }), -0.1);
    assert.equal(turnReward({ diff_changed: 1, imported_score: 7 }), 0.1, 'an unknown signal weighs nothing');
  });
});
