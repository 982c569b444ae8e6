import { requestAsSentOfTurn } from '../trajectory/request';
import { roundOpenedBy } from '../agent/protocols/protocol';
import type { ChatMessage, RewardResult, Turn } from '../trajectory/types';
import type { DatasetStats } from './card';
import type { ExportFormat } from './format';
import { exportMessage, reasoningSentBack, styled } from './messages';
import type { RunSummary } from './runs';
import { splitOf } from './split';

/** What TRL's GRPOTrainer adds to the standard deviation before dividing by it. */
export const GRPO_EPSILON = 1e-4;

/**
 * GRPO advantages as TRL's GRPOTrainer computes them (its default `scale_rewards="group"`): each reward less its
 * group's mean, divided by the group's sample standard deviation plus 1e-4. Unscored members (null) take no part
 * in the mean or deviation and get 0, as TRL does for samples no reward function scored; a group of one has no
 * deviation and gets 0.
 */
export function groupAdvantages(rewards: readonly (number | null)[]): number[] {
  const scored = rewards.filter((reward): reward is number => reward !== null);
  if (scored.length === 0) return rewards.map(() => 0);
  const mean = scored.reduce((a, b) => a + b, 0) / scored.length;
  const std =
    scored.length > 1 ? Math.sqrt(scored.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (scored.length - 1)) : 0;
  return rewards.map((reward) => (reward === null ? 0 : (reward - mean) / (std + GRPO_EPSILON)));
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

/**
 * The tokens' fields, each only when the server returned it: OpenAI-style servers send log-probabilities without
 * token ids, vLLM ids (the prompt's and the sampled ones) without log-probabilities unless asked. The loss mask is
 * one per sampled token id (all 1: the tokens are the assistant's); log-probabilities beside ids must be one per
 * id, or a trainer cannot align them, so others are left out, and counted.
 */
function tokenFields(
  turn: Turn,
  stats: DatasetStats,
): Partial<Record<'prompt_token_ids' | 'token_ids' | 'logprobs' | 'loss_mask', number[]>> {
  const promptIds = turn.prompt_token_ids ?? [];
  const ids = turn.logprobs?.token_ids ?? [];
  const logprobs = turn.logprobs?.logprobs ?? [];
  const aligned = logprobs.length > 0 && (ids.length === 0 || logprobs.length === ids.length);
  if (promptIds.length > 0) stats.tokenData.prompt_token_ids += 1;
  if (ids.length > 0) stats.tokenData.token_ids += 1;
  if (aligned) stats.tokenData.logprobs += 1;
  else if (logprobs.length > 0) stats.tokenData.logprobs_left_out += 1;
  return {
    ...(promptIds.length > 0 ? { prompt_token_ids: promptIds } : {}),
    ...(ids.length > 0 ? { token_ids: ids } : {}),
    ...(aligned ? { logprobs } : {}),
    ...(ids.length > 0 ? { loss_mask: ids.map(() => 1) } : {}),
  };
}

function tokenDataNote(stats: DatasetStats): string {
  const { prompt_token_ids: promptIds, token_ids: ids, logprobs, logprobs_left_out: leftOut } = stats.tokenData;
  return (
    `Token data (of ${stats.rows} rows): prompt_token_ids in ${promptIds}, token_ids with a loss_mask in ${ids}, logprobs in ${logprobs}` +
    (leftOut ? `, logprobs left out as not one per token id in ${leftOut}` : '') +
    '. A row has them only when its run asked the server (--logprobs, --token-ids) and the server returned them.'
  );
}

/** One row per turn: what the model was sent, what it answered, and the credit for it. */
export const rlFormat: ExportFormat = {
  name: 'rl',
  summary:
    'one row per turn: {"prompt" (as sent), "response", "tools", "turn_reward", "signals", "return", "advantage", prompt and sampled token ids/logprobs/loss mask}',
  splittable: true,
  requiresReward: true,
  usesStyle: true,
  cardNotes: (context) => [
    'Advantages: GRPO as TRL computes them (reward less the group mean, over the sample standard deviation plus 1e-4), ' +
      "the group being every scored attempt at the task; they are computed before --min-reward and --resolved-only drop runs, so a filter never changes a kept run's advantage.",
    "Returns: the run's reward less the turn rewards credited before each turn (each turn reward counted once).",
    tokenDataNote(context.stats),
  ],
  async write(context) {
    // Advantages are relative to the whole group: it is formed before the filters drop any member.
    const groups = await context.source.groupsByTask({ keepFilteredOut: true });
    for (const taskId of [...groups.keys()].sort()) {
      // Not deduplicated: identical samples are legitimate members of a GRPO group.
      const group: RunSummary[] = groups.get(taskId) ?? [];
      const advantages = groupAdvantages(group.map((run) => run.reward));
      const split = splitOf(taskId, context.split);
      for (const [i, summary] of group.entries()) {
        if (summary.filtered_out) {
          context.stats.skip(summary.filtered_out);
          continue;
        }
        const { trajectory } = await context.source.reload(summary);
        const finalReward = summary.reward ?? 0;
        const credited = creditedTurnRewards(trajectory.turns, trajectory.result.reward);
        const returns = turnReturns(credited, finalReward);
        const history: ChatMessage[] = [];
        let round = 1;
        for (const turn of trajectory.turns) {
          round = roundOpenedBy(turn) ?? round;
          const at = turn.messages.findIndex((message: ChatMessage) => message.role === 'assistant');
          history.push(...turn.messages.slice(0, at === -1 ? turn.messages.length : at));
          if (at !== -1) {
            const prompt = requestAsSentOfTurn(
              trajectory,
              turn.index,
              history,
              `${summary.path}: the request of turn ${turn.index}`,
            );
            await context.writer(split).write({
              // As sent: an earlier assistant message with the reasoning that went back with it, if any.
              prompt: styled(
                prompt.map((message) => exportMessage(message, context.style, reasoningSentBack(message))),
                context.style,
              ),
              // What the model generated: its reasoning too.
              response: styled([exportMessage(turn.messages[at], context.style, turn.reasoning)], context.style)[0],
              tools: trajectory.run.tools,
              turn_index: turn.index,
              turn_reward: credited[turn.index],
              signals: turn.signals ?? {},
              reward: finalReward,
              return: returns[turn.index],
              advantage: advantages[i],
              group_size: group.length,
              ...tokenFields(turn, context.stats),
              metadata: {
                task_id: taskId,
                run_id: summary.run_id,
                attempt: summary.attempt,
                exit_status: summary.exit_status,
                // Test-feedback runs: the round of this turn and that round's own reward.
                ...(summary.rounds && summary.rounds.length > 1
                  ? { round, round_reward: summary.rounds.find((scored) => scored.round === round)?.reward ?? null }
                  : {}),
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
