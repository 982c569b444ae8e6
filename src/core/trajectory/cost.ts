import type { RunResult, Trajectory } from './types';

/**
 * A run's cost is known only when every model call's is: a call without a price (no `cost_usd`) makes the
 * sum unknown (null), never smaller, because a partial sum would read as the run's cost.
 */
export function addCost(sum: number | null, cost: number | undefined): number | null {
  return sum === null || cost === undefined ? null : sum + cost;
}

export type RunUsage = Pick<NonNullable<RunResult['totals']>, 'tokens_in' | 'tokens_out' | 'cost_usd'>;

/**
 * A run's tokens and cost: the totals recorded when it finished (all an imported run may know), else its turns'
 * sums so far.
 */
export function runUsage(trajectory: Pick<Trajectory, 'turns' | 'result'>): RunUsage {
  if (trajectory.result?.totals) return trajectory.result.totals;
  return {
    tokens_in: trajectory.turns.reduce((sum, turn) => sum + (turn.tokens?.input ?? 0), 0),
    tokens_out: trajectory.turns.reduce((sum, turn) => sum + (turn.tokens?.output ?? 0), 0),
    cost_usd: turnsCostUsd(trajectory.turns),
  };
}

/** The sum of the turns' costs; null when any turn's cost is unknown. */
function turnsCostUsd(turns: ReadonlyArray<{ cost_usd?: number }>): number | null {
  return turns.reduce<number | null>((sum, turn) => addCost(sum, turn.cost_usd), 0);
}
