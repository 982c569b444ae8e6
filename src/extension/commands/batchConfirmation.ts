/** What Run Agent asks before starting more than one rollout. Pure: no vscode, so that the figures are tested. */
import type { Settings } from '../settings';

export interface BatchShape {
  tasks: number;
  attempts: number;
  workers: number;
  model: string;
  budget: Settings['budget'];
}

/**
 * The question, with the most the batch can cost: every rollout spending up to its cost limit (checked after
 * each turn, so a rollout can pass it by one turn's cost).
 */
export function batchConfirmation({ tasks, attempts, workers, model, budget }: BatchShape): string {
  const rollouts = tasks * attempts;
  const shape = `Run ${model} on ${tasks} task${tasks === 1 ? '' : 's'}${attempts > 1 ? ` × ${attempts} attempts` : ''} (${rollouts} rollouts, ${Math.min(workers, rollouts)} at a time)?`;
  const limits = `Each stops after ${budget.maxTurns} turns, ${budget.maxTokens.toLocaleString('en-US')} tokens, ${budget.timeLimitMinutes} minutes`;
  const cost =
    budget.maxCostUsd > 0
      ? `${limits} or once it has spent $${budget.maxCostUsd.toFixed(2)}: about $${(budget.maxCostUsd * rollouts).toFixed(2)} in all at most.`
      : `${limits}; no cost limit is set (rolloutStudio.budget.maxCostUsd is 0), so the cost has no bound.`;
  return `${shape} ${cost}`;
}
