import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_GATED_OPTIONS,
  gatedReward,
  largestSafeCap,
  type GatedRewardOptions,
} from '../../../src/core/reward/gatedReward';
import { OUTCOME_LEVELS, outcomeLevel, type OutcomeLevel, type RewardInput } from '../../../src/core/reward/rewardFn';
import type { TurnSignals } from '../../../src/core/trajectory/types';
import { evaluationOf } from '../../support/evaluations';

const expected = { failToPass: ['f1'], passToPass: ['p1'] };

/** A real evaluation (the harness's report shape) that reaches the given outcome level. */
function evaluationAt(level: OutcomeLevel): RewardInput['evaluation'] {
  const statuses = {
    'no-submission': 'no-patch',
    'empty-patch': 'empty-patch',
    'patch-failed': 'patch-failed',
    'tests-fail': 'unresolved',
    'tests-pass': 'resolved',
  } as const;
  const evaluation = evaluationOf(statuses[level], expected, {
    f1: level === 'tests-pass' ? 'PASSED' : 'FAILED',
    p1: 'PASSED',
  });
  assert.equal(outcomeLevel(evaluation), level, 'the generated evaluation reaches its level');
  return evaluation;
}

const signalsArbitrary: fc.Arbitrary<TurnSignals | undefined> = fc.option(
  fc.record(
    {
      diff_changed: fc.integer({ min: 0, max: 1 }),
      format_errors: fc.integer({ min: 0, max: 50 }),
      tool_errors: fc.integer({ min: 0, max: 50 }),
      imported_signal: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

/** A trajectory as the reward sees it: an outcome level and any number of turns with any signals. */
const runArbitrary = fc.record({
  level: fc.constantFrom(...OUTCOME_LEVELS),
  turns: fc.array(signalsArbitrary, { maxLength: 120 }),
});

/** Gated options that pass construction: any gate, strictly increasing outcome rewards, a cap below the safe bound. */
const optionsArbitrary: fc.Arbitrary<GatedRewardOptions> = fc
  .record({
    gate: fc.constantFrom(...OUTCOME_LEVELS),
    start: fc.double({ min: -10, max: 10, noNaN: true }),
    steps: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }),
    capShare: fc.double({ min: 0, max: 0.999, noNaN: true }),
  })
  .map(({ gate, start, steps, capShare }) => {
    let value = start;
    const outcomeRewards = Object.fromEntries(
      OUTCOME_LEVELS.map((level, rank) => [level, rank === 0 ? value : (value += steps[rank - 1])]),
    ) as Record<OutcomeLevel, number>;
    return { gate, outcomeRewards, turnRewardCap: capShare * largestSafeCap({ gate, outcomeRewards }) };
  });

function score(options: Partial<GatedRewardOptions>, run: { level: OutcomeLevel; turns: (TurnSignals | undefined)[] }) {
  return gatedReward(options).compute({ evaluation: evaluationAt(run.level), turnSignals: run.turns });
}

describe('gated reward (property tests over generated trajectories)', () => {
  test('no run with failing tests outscores a run that passes, whatever their turns (default options)', () => {
    const failing = fc.record({
      level: fc.constantFrom<OutcomeLevel>('no-submission', 'empty-patch', 'patch-failed', 'tests-fail'),
      turns: fc.array(signalsArbitrary, { maxLength: 120 }),
    });
    const passing = fc.record({ level: fc.constant<OutcomeLevel>('tests-pass'), turns: fc.array(signalsArbitrary) });
    fc.assert(
      fc.property(failing, passing, (fail, pass) => {
        assert.ok((score({}, fail).value as number) < (score({}, pass).value as number));
      }),
      { numRuns: 2000 },
    );
  });

  test('with any accepted options, a worse outcome never outscores a better one', () => {
    fc.assert(
      fc.property(optionsArbitrary, runArbitrary, runArbitrary, (options, a, b) => {
        fc.pre(a.level !== b.level);
        const [worse, better] = OUTCOME_LEVELS.indexOf(a.level) < OUTCOME_LEVELS.indexOf(b.level) ? [a, b] : [b, a];
        assert.ok((score(options, worse).value as number) < (score(options, better).value as number));
      }),
      { numRuns: 2000 },
    );
  });

  test('below the gate the value is the outcome reward alone; the credited turn rewards add up to the rest', () => {
    fc.assert(
      fc.property(optionsArbitrary, runArbitrary, (options, run) => {
        const reward = score(options, run);
        const outcome = options.outcomeRewards[run.level];
        const credited = reward.turnRewards ?? [];
        assert.equal(credited.length, run.turns.length);
        const open = OUTCOME_LEVELS.indexOf(run.level) >= OUTCOME_LEVELS.indexOf(options.gate);
        if (!open) {
          assert.equal(reward.value, outcome);
          assert.ok(credited.every((value) => value === 0));
        }
        const extra = (reward.value as number) - outcome;
        assert.ok(Math.abs(extra) <= options.turnRewardCap + 1e-9, 'the turn rewards stay within the cap');
        const sum = credited.reduce((total, value) => total + value, 0);
        assert.ok(Math.abs(sum - extra) <= 1e-6 * Math.max(1, Math.abs(extra)), `credited ${sum} vs ${extra}`);
      }),
      { numRuns: 1000 },
    );
  });

  test('the default options are accepted and keep the documented outcome rewards', () => {
    assert.equal(DEFAULT_GATED_OPTIONS.gate, 'tests-pass');
    assert.ok(DEFAULT_GATED_OPTIONS.turnRewardCap < largestSafeCap(DEFAULT_GATED_OPTIONS));
  });
});
