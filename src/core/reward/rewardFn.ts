/** One interface for every reward: an evaluated trajectory in, a scalar (or no score at all) out. */

import type { TurnSignals } from '../trajectory/types';
import type { EvaluationResult, EvaluationStatus } from './evaluator';

export interface RewardInput {
  evaluation: Pick<EvaluationResult, 'status' | 'report'>;
  /** Each turn's recorded signals, in turn order (see turnReward.ts for what a turn is worth). */
  turnSignals?: Array<TurnSignals | undefined>;
}

export interface Reward {
  /** The reward; `null` when the evaluation failed for infrastructure reasons and must not be scored. */
  value: number | null;
  /** The per-turn rewards `value` includes (after the function's gate and cap), when it counts any. */
  turnRewards?: number[];
  explanation: string;
}

export interface RewardFn {
  readonly name: string;
  compute(input: RewardInput): Reward;
}

/** How far a trajectory got, from worst to best; gates and outcome rewards are set on this scale. */
export const OUTCOME_LEVELS = ['no-submission', 'empty-patch', 'patch-failed', 'tests-fail', 'tests-pass'] as const;
export type OutcomeLevel = (typeof OUTCOME_LEVELS)[number];

const LEVELS: Record<EvaluationStatus, OutcomeLevel | undefined> = {
  'no-patch': 'no-submission',
  'empty-patch': 'empty-patch',
  'patch-failed': 'patch-failed',
  // A patch whose tests run past the limit failed them, as the harness counts it (unresolved, in the total).
  'timed-out': 'tests-fail',
  unresolved: 'tests-fail',
  resolved: 'tests-pass',
  // The machinery (ours, or a harness parser that fails on the log) broke: no outcome is known.
  error: undefined,
  'infra-error': undefined,
};

/** The outcome level of an evaluation, or undefined when no outcome is known. */
export function outcomeLevel(evaluation: RewardInput['evaluation']): OutcomeLevel | undefined {
  return LEVELS[evaluation.status];
}

export function notScored(evaluation: RewardInput['evaluation']): Reward | undefined {
  if (outcomeLevel(evaluation) !== undefined) return undefined;
  const what = evaluation.status === 'error' ? 'the log could not be graded' : 'infrastructure error';
  return { value: null, explanation: `${what}: not scored` };
}
