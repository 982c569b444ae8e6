/**
 * Gated reward accumulation (G-RA, "Stabilizing Long-term Multi-turn RL with Gated Rewards"): the outcome
 * earns a reward by level, and the turns' own rewards are added only when the outcome reaches the gate, so a
 * policy cannot farm turn rewards on trajectories that fail in the end. Their total is capped so that turn
 * rewards can reorder runs within an outcome level but never lift a run above a better outcome.
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
import { turnReward } from './turnReward';

export interface GatedRewardOptions {
  /** Lowest outcome at which turn rewards count. Default: `tests-pass`. */
  gate: OutcomeLevel;
  /** Reward for reaching each outcome level; strictly increasing from worst to best. */
  outcomeRewards: Record<OutcomeLevel, number>;
  /** The turn rewards' total is kept within ±this; it must leave every open level below the next one. */
  turnRewardCap: number;
}

export const DEFAULT_GATED_OPTIONS: GatedRewardOptions = {
  gate: 'tests-pass',
  outcomeRewards: { 'no-submission': -1, 'empty-patch': -0.5, 'patch-failed': -0.25, 'tests-fail': 0, 'tests-pass': 1 },
  turnRewardCap: 0.25,
};

/**
 * The largest cap below which no run can outscore one with a better outcome: a run at the gate, less the cap,
 * stays above the level under the gate (which earns no turn rewards), and two open levels, one plus the cap and
 * the next less it, stay apart.
 */
export function largestSafeCap({ gate, outcomeRewards }: Pick<GatedRewardOptions, 'gate' | 'outcomeRewards'>): number {
  const gateRank = OUTCOME_LEVELS.indexOf(gate);
  const value = (rank: number) => outcomeRewards[OUTCOME_LEVELS[rank]];
  let limit = Infinity;
  if (gateRank > 0) limit = value(gateRank) - value(gateRank - 1);
  for (let rank = gateRank; rank + 1 < OUTCOME_LEVELS.length; rank += 1)
    limit = Math.min(limit, (value(rank + 1) - value(rank)) / 2);
  return limit;
}

function checkOptions(options: GatedRewardOptions): void {
  if (!OUTCOME_LEVELS.includes(options.gate))
    throw new Error(`gated reward: gate must be one of ${OUTCOME_LEVELS.join(', ')}, not '${options.gate}'`);
  OUTCOME_LEVELS.forEach((level, rank) => {
    const reward = options.outcomeRewards[level];
    if (typeof reward !== 'number' || !Number.isFinite(reward))
      throw new Error(`gated reward: outcomeRewards.${level} must be a number`);
    const below = OUTCOME_LEVELS[rank - 1];
    if (below !== undefined && !(reward > options.outcomeRewards[below]))
      throw new Error(`gated reward: outcomeRewards.${level} must be greater than outcomeRewards.${below}`);
  });
  const limit = largestSafeCap(options);
  if (!(options.turnRewardCap >= 0 && options.turnRewardCap < limit))
    throw new Error(
      `gated reward: turnRewardCap must be at least 0 and below ${limit} with gate ${options.gate} and these outcome rewards, ` +
        `or a run could outscore one with a better outcome (got ${options.turnRewardCap})`,
    );
}

export function gatedReward(options: Partial<GatedRewardOptions> = {}): RewardFn {
  const settings: GatedRewardOptions = { ...DEFAULT_GATED_OPTIONS, ...options };
  checkOptions(settings);
  const { gate, outcomeRewards, turnRewardCap } = settings;
  const gateRank = OUTCOME_LEVELS.indexOf(gate);
  return {
    name: 'gated',
    compute({ evaluation, turnSignals = [] }: RewardInput): Reward {
      const skipped = notScored(evaluation);
      const level = outcomeLevel(evaluation);
      if (skipped || !level) return skipped ?? { value: null, explanation: 'no outcome: not scored' };
      const outcome = outcomeRewards[level];
      if (OUTCOME_LEVELS.indexOf(level) < gateRank)
        return {
          value: outcome,
          turnRewards: turnSignals.map(() => 0),
          explanation: `outcome ${level} (${outcome}); turn rewards gated off below ${gate}`,
        };
      const earned = turnSignals.map(turnReward);
      const total = earned.reduce((sum, reward) => sum + reward, 0);
      const capped = Math.min(turnRewardCap, Math.max(-turnRewardCap, total));
      // Each turn keeps its share of the capped total, so the turn rewards still add up to what `value` holds.
      const scale = total === 0 ? 1 : capped / total;
      return {
        value: outcome + capped,
        turnRewards: earned.map((reward) => reward * scale),
        explanation:
          `outcome ${level} (${outcome}); turn rewards ${round(total)}` +
          (capped === total ? '' : ` capped to ${round(capped)}`),
      };
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
