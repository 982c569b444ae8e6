import { rebuildRequest } from '../trajectory/request';
import type { ChatMessage, RequestPart, RewardResult, RunEvent, Turn } from '../trajectory/types';
import type { ExportFormat } from './format';
import { exportMessage } from './messages';
import type { RunSummary } from './runs';
import { splitOf } from './split';

const ADVANTAGE_EPSILON = 1e-6;

/** GRPO-style advantage of each attempt: its reward normalised by its task group's mean and deviation. */
export function groupAdvantages(rewards: number[]): number[] {
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((sum, r) => sum + (r - mean) ** 2, 0) / rewards.length);
  return rewards.map((reward) => (std === 0 ? 0 : (reward - mean) / (std + ADVANTAGE_EPSILON)));
}

/**
 * The reward credited to each turn: the per-turn rewards the run's reward includes (gated and capped as its
 * reward function decided), or 0 for every turn when it counts none.
 */
export function creditedTurnRewards(turns: readonly Turn[], reward: RewardResult | null): number[] {
  return turns.map((_, i) => reward?.turn_rewards?.[i] ?? 0);
}

/**
 * Return from each turn, undiscounted: the run's reward less the turn rewards credited before the turn. The
 * run's reward already holds every credited turn reward, so none is counted twice and the first turn's
 * return is the run's reward.
 */
export function turnReturns(credited: readonly number[], finalReward: number): number[] {
  const returns = new Array<number>(credited.length);
  let earlier = 0;
  credited.forEach((reward, i) => {
    returns[i] = finalReward - earlier;
    earlier += reward;
  });
  return returns;
}

/** The request each compacted turn was sent, by turn index (turns without one were sent the whole history). */
function requestsByTurn(events: readonly RunEvent[]): Map<number, RequestPart[]> {
  const requests = new Map<number, RequestPart[]>();
  for (const event of events) {
    const request = event.data?.request;
    if (event.kind === 'compaction' && Array.isArray(request)) requests.set(event.after_turn, request as RequestPart[]);
  }
  return requests;
}

/** One row per turn: what the model was sent, what it answered, and the credit for it. */
export const rlFormat: ExportFormat = {
  name: 'rl',
  summary:
    'one row per turn: {"prompt" (as sent), "response", "tools", "turn_reward", "signals", "return", "advantage", token ids/logprobs/loss mask}',
  splittable: true,
  requiresReward: true,
  async write(context) {
    const groups = await context.source.groupsByTask();
    for (const taskId of [...groups.keys()].sort()) {
      // Not deduplicated: identical samples are legitimate members of a GRPO group.
      const group: RunSummary[] = groups.get(taskId) ?? [];
      const advantages = groupAdvantages(group.map((run) => run.reward ?? 0));
      const split = splitOf(taskId, context.split);
      for (const [i, summary] of group.entries()) {
        const { trajectory } = await context.source.reload(summary);
        const finalReward = summary.reward ?? 0;
        const credited = creditedTurnRewards(trajectory.turns, trajectory.result.reward);
        const returns = turnReturns(credited, finalReward);
        const requests = requestsByTurn(trajectory.events);
        const history: ChatMessage[] = [];
        for (const turn of trajectory.turns) {
          const at = turn.messages.findIndex((message: ChatMessage) => message.role === 'assistant');
          history.push(...turn.messages.slice(0, at === -1 ? turn.messages.length : at));
          if (at !== -1) {
            const sent = requests.get(turn.index);
            const prompt = sent
              ? rebuildRequest(sent, history, `${summary.path}: the request of turn ${turn.index}`)
              : history;
            await context.writer(split).write({
              prompt: prompt.map(exportMessage),
              response: exportMessage(turn.messages[at]),
              tools: trajectory.run.tools,
              turn_index: turn.index,
              turn_reward: credited[turn.index],
              signals: turn.signals ?? {},
              reward: finalReward,
              return: returns[turn.index],
              advantage: advantages[i],
              group_size: group.length,
              ...(turn.logprobs
                ? {
                    token_ids: turn.logprobs.token_ids,
                    logprobs: turn.logprobs.logprobs,
                    loss_mask: turn.logprobs.token_ids.map(() => 1),
                  }
                : {}),
              metadata: {
                task_id: taskId,
                run_id: summary.run_id,
                attempt: summary.attempt,
                exit_status: summary.exit_status,
              },
            });
            context.stats.addRow(split);
          }
          if (at !== -1) history.push(...turn.messages.slice(at));
        }
        context.stats.addRun(summary, split);
      }
    }
  },
};
