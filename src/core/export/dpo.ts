import type { ExportFormat } from './format';
import { exportTurns, sharedPrefixLength, styled, type ExportMessage } from './messages';
import type { RunSummary, SkipReason } from './runs';
import { splitOf } from './split';

/** What a preference pair's completions hold: the one assistant turn where the attempts part, or all after it. */
export type DpoCompletion = 'turn' | 'remainder';

/** Why two attempts make no pair. */
export type UnpairableReason = 'no_divergence' | 'diverged_at_observation' | 'no_shared_prompt';

/** Rewards are sums of floats: 0.7 − 0.2 is 0.49999999999999994, which must still meet a margin of 0.5. */
const MARGIN_TOLERANCE = 1e-9;

/**
 * Attempts at one task, best first, identical conversations kept once: the best-rewarded of them, whatever the
 * order of the files.
 */
function rankedAttempts(group: RunSummary[], skip: (reason: SkipReason) => void): RunSummary[] {
  const ranked = [...group].sort((a, b) => (b.reward ?? 0) - (a.reward ?? 0) || a.attempt - b.attempt);
  const seen = new Set<string>();
  return ranked.filter((run) => {
    if (run.invalid_tool_arguments > 0) {
      skip('invalid_tool_arguments');
      return false;
    }
    if (seen.has(run.conversation_key)) {
      skip('duplicate');
      return false;
    }
    seen.add(run.conversation_key);
    return true;
  });
}

/**
 * Pairs the best remaining attempt with the worst while their rewards differ by at least the margin (and by
 * something: equal rewards prefer neither), so each attempt is in at most one pair and the clearest contrasts
 * come first.
 */
export function pairAttempts(ranked: RunSummary[], minMargin: number): [RunSummary, RunSummary][] {
  const pairs: [RunSummary, RunSummary][] = [];
  for (let best = 0, worst = ranked.length - 1; best < worst; best += 1, worst -= 1) {
    const margin = (ranked[best].reward ?? 0) - (ranked[worst].reward ?? 0);
    if (margin <= 0 || margin < minMargin - MARGIN_TOLERANCE) break;
    pairs.push([ranked[best], ranked[worst]]);
  }
  return pairs;
}

/**
 * The pair two conversations make at the step where they part: the prompt is everything they share, and the
 * completions are the first assistant turn that differs (or, for `remainder`, everything from it on). The
 * parting must be a choice of the model: when the first difference is an observation (a tool's output, a
 * user's reply), the contexts differ before any choice and no pair is formed.
 */
export function divergencePair(
  chosen: ExportMessage[],
  rejected: ExportMessage[],
  completion: DpoCompletion,
): { prompt: ExportMessage[]; chosen: ExportMessage[]; rejected: ExportMessage[] } | UnpairableReason {
  const shared = sharedPrefixLength(chosen, rejected);
  if (shared === chosen.length || shared === rejected.length) return 'no_divergence';
  if (chosen[shared].role !== 'assistant' || rejected[shared].role !== 'assistant') return 'diverged_at_observation';
  if (shared === 0) return 'no_shared_prompt';
  const end = (messages: ExportMessage[]) => (completion === 'turn' ? shared + 1 : messages.length);
  return {
    prompt: chosen.slice(0, shared),
    chosen: chosen.slice(shared, end(chosen)),
    rejected: rejected.slice(shared, end(rejected)),
  };
}

/**
 * Preference pairs in TRL's conversational format: `prompt` is the context the two attempts share up to the
 * first assistant turn where they differ, `chosen` / `rejected` that turn of each (or the rest of each).
 */
export const dpoFormat: ExportFormat = {
  name: 'dpo',
  summary: 'preference pairs where attempts at a task part: {"prompt", "chosen", "rejected", "tools", "metadata"}',
  splittable: true,
  requiresReward: true,
  usesStyle: true,
  cardNotes: (context) => [
    `Pairs: attempts at the same task ranked by reward, best paired with worst while the rewards differ by at least ${context.minMargin}. ` +
      `The prompt is the context both share up to the first assistant turn where they differ; chosen and rejected are ${context.dpoCompletion === 'turn' ? 'that one assistant turn of each' : 'everything from that turn on'}. ` +
      'Two attempts that first differ in an observation (a tool output) make no pair.',
  ],
  async write(context) {
    const groups = await context.source.groupsByTask();
    for (const taskId of [...groups.keys()].sort()) {
      const ranked = rankedAttempts(groups.get(taskId) ?? [], (reason) => context.stats.skip(reason));
      const pairs = pairAttempts(ranked, context.minMargin);
      const unpaired = ranked.length - pairs.length * 2;
      for (let i = 0; i < unpaired; i += 1) context.stats.skip('no_pair');
      const split = splitOf(taskId, context.split);
      for (const [better, worse] of pairs) {
        // Two runs in memory at a time, never the whole group.
        const chosenRun = await context.source.reload(better);
        const rejectedRun = await context.source.reload(worse);
        const pair = divergencePair(
          exportTurns(chosenRun.trajectory.turns, context.style),
          exportTurns(rejectedRun.trajectory.turns, context.style),
          context.dpoCompletion,
        );
        if (typeof pair === 'string') {
          context.stats.skipPair(pair);
          continue;
        }
        await context.writer(split).write({
          prompt: styled(pair.prompt, context.style),
          chosen: styled(pair.chosen, context.style),
          rejected: styled(pair.rejected, context.style),
          tools: chosenRun.trajectory.run.tools,
          metadata: {
            task_id: taskId,
            chosen_run_id: better.run_id,
            rejected_run_id: worse.run_id,
            chosen_reward: better.reward,
            rejected_reward: worse.reward,
            margin: (better.reward ?? 0) - (worse.reward ?? 0),
            turn_index: pair.prompt.filter((message) => message.role === 'assistant').length,
          },
        });
        context.stats.addRun(better, split);
        context.stats.addRun(worse, split);
        context.stats.addRow(split);
      }
    }
  },
};
