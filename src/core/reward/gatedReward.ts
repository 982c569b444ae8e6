/**
 * Gated reward accumulation (after "Stabilizing Long-term Multi-turn RL with Gated Rewards"): turn-level
 * rewards count only when the trajectory's outcome reaches the gate, so a policy cannot farm step rewards
 * on trajectories that fail at the end. The outcome itself earns a reward by level.
 */

import {
  OUTCOME_LEVELS,
  notScored,
  outcomeLevel,
  type OutcomeLevel,
  type Reward,
  type RewardFn,
  type RewardInput,
} from './rewardFn';

export interface GatedRewardOptions {
  /** Lowest outcome at which turn rewards count. Default: `tests-fail` (a patch that applies and runs). */
  gate: OutcomeLevel;
  /** Reward for reaching each outcome level. */
  outcomeRewards: Record<OutcomeLevel, number>;
}

export const DEFAULT_GATED_OPTIONS: GatedRewardOptions = {
  gate: 'tests-fail',
  outcomeRewards: { 'no-submission': -1, 'empty-patch': -0.5, 'patch-failed': -0.25, 'tests-fail': 0, 'tests-pass': 1 },
};

export function gatedReward(options: Partial<GatedRewardOptions> = {}): RewardFn {
  const { gate, outcomeRewards } = { ...DEFAULT_GATED_OPTIONS, ...options };
  const gateRank = OUTCOME_LEVELS.indexOf(gate);
  return {
    name: 'gated',
    compute({ evaluation, turnRewards = [] }: RewardInput): Reward {
      const skipped = notScored(evaluation);
      const level = outcomeLevel(evaluation);
      if (skipped || !level) return skipped ?? { value: null, explanation: 'no outcome: not scored' };
      const open = OUTCOME_LEVELS.indexOf(level) >= gateRank;
      const gated = turnRewards.map((reward) => (open ? reward : 0));
      const value = outcomeRewards[level] + gated.reduce((sum, reward) => sum + reward, 0);
      return {
        value,
        turnRewards: gated,
        explanation: `outcome ${level} (${outcomeRewards[level]}); turn rewards ${open ? 'counted' : `gated off below ${gate}`}`,
      };
    },
  };
}
