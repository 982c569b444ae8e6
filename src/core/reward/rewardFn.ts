/** One interface for every reward: an evaluated trajectory in, a scalar (or no score at all) out. */

import type { TurnSignals } from '../trajectory/types';
import type { EvaluationResult } from './evaluator';

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

/** The outcome level of an evaluation, or undefined after an infrastructure error (no outcome is known). */
export function outcomeLevel(evaluation: RewardInput['evaluation']): OutcomeLevel | undefined {
  const { status, report } = evaluation;
  if (status === 'infra-error' || !report) return undefined;
  if (report.patch_is_None) return 'no-submission';
  if (!report.patch_exists) return 'empty-patch';
  if (status === 'patch-failed') return 'patch-failed';
  return status === 'resolved' ? 'tests-pass' : 'tests-fail';
}

export function notScored(evaluation: RewardInput['evaluation']): Reward | undefined {
  if (evaluation.status !== 'infra-error') return undefined;
  return { value: null, explanation: 'infrastructure error: not scored' };
}
