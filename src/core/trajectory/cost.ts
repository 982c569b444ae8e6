/**
 * A run's cost is known only when every model call's is: a call without a price (no `cost_usd`) makes the
 * sum unknown (null), never smaller, because a partial sum would read as the run's cost.
 */
export function addCost(sum: number | null, cost: number | undefined): number | null {
  return sum === null || cost === undefined ? null : sum + cost;
}

/** The sum of the turns' costs; null when any turn's cost is unknown. */
export function turnsCostUsd(turns: ReadonlyArray<{ cost_usd?: number }>): number | null {
  return turns.reduce<number | null>((sum, turn) => addCost(sum, turn.cost_usd), 0);
}
