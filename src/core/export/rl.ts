import type { ChatMessage, Turn } from '../trajectory/types';
import type { ExportFormat } from './format';
import { exportMessage, type ExportMessage } from './messages';
import type { RunSummary } from './runs';
import { splitOf } from './split';

const ADVANTAGE_EPSILON = 1e-6;

/** GRPO-style advantage of each attempt: its reward normalised by its task group's mean and deviation. */
export function groupAdvantages(rewards: number[]): number[] {
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((sum, r) => sum + (r - mean) ** 2, 0) / rewards.length);
  return rewards.map((reward) => (std === 0 ? 0 : (reward - mean) / (std + ADVANTAGE_EPSILON)));
}

function turnReward(turn: Turn): number {
  return Object.values(turn.rewards ?? {}).reduce((a, b) => a + b, 0);
}

/** Return from each turn: its own and all later turn rewards plus the final reward (undiscounted). */
export function turnReturns(turns: Turn[], finalReward: number): number[] {
  const returns = new Array<number>(turns.length);
  let future = finalReward;
  for (let i = turns.length - 1; i >= 0; i -= 1) {
    future += turnReward(turns[i]);
    returns[i] = future;
  }
  return returns;
}

/** One row per turn: what the model saw, what it answered, and the credit for it. */
export const rlFormat: ExportFormat = {
  name: 'rl',
  summary:
    'one row per turn: {"prompt", "response", "tools", rewards, "return", "advantage", token ids/logprobs/loss mask}',
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
        const returns = turnReturns(trajectory.turns, finalReward);
        const history: ExportMessage[] = [];
        for (const turn of trajectory.turns) {
          const at = turn.messages.findIndex((message: ChatMessage) => message.role === 'assistant');
          const before = turn.messages.slice(0, at === -1 ? turn.messages.length : at).map(exportMessage);
          if (at !== -1) {
            await context.writer(split).write({
              prompt: [...history, ...before],
              response: exportMessage(turn.messages[at]),
              tools: trajectory.run.tools,
              turn_index: turn.index,
              turn_reward: turnReward(turn),
              turn_rewards: turn.rewards ?? {},
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
          history.push(...turn.messages.map(exportMessage));
        }
        context.stats.addRun(summary, split);
      }
    }
  },
};
