import { conversation } from '../trajectory/types';
import type { ExportFormat } from './format';
import { exportMessage, sharedPrefixLength } from './messages';
import type { RunSummary, SkipReason } from './runs';
import { splitOf } from './split';

/** Attempts at one task, best first, identical conversations kept once. */
function rankedAttempts(group: RunSummary[], skip: (reason: SkipReason) => void): RunSummary[] {
  const seen = new Set<string>();
  const unique = group.filter((run) => {
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
  return unique.sort((a, b) => (b.reward ?? 0) - (a.reward ?? 0) || a.attempt - b.attempt);
}

/**
 * Pairs the best remaining attempt with the worst while their rewards differ by at least the margin,
 * so each attempt is in at most one pair and the clearest contrasts come first.
 */
export function pairAttempts(ranked: RunSummary[], minMargin: number): [RunSummary, RunSummary][] {
  const pairs: [RunSummary, RunSummary][] = [];
  for (let best = 0, worst = ranked.length - 1; best < worst; best += 1, worst -= 1) {
    if ((ranked[best].reward ?? 0) - (ranked[worst].reward ?? 0) < minMargin) break;
    pairs.push([ranked[best], ranked[worst]]);
  }
  return pairs;
}

/** Preference pairs in TRL's conversational format: `prompt` is the shared prefix, then `chosen` / `rejected`. */
export const dpoFormat: ExportFormat = {
  name: 'dpo',
  summary: 'preference pairs from attempts at the same task: {"prompt", "chosen", "rejected", "tools", "metadata"}',
  splittable: true,
  requiresReward: true,
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
        const chosen = conversation(chosenRun.trajectory).map(exportMessage);
        const rejected = conversation(rejectedRun.trajectory).map(exportMessage);
        const shared = sharedPrefixLength(chosen, rejected);
        // A pair needs a prompt to condition on and a difference to prefer.
        if (shared === 0 || shared === chosen.length || shared === rejected.length) {
          context.stats.skip('no_pair');
          context.stats.skip('no_pair');
          continue;
        }
        await context.writer(split).write({
          prompt: chosen.slice(0, shared),
          chosen: chosen.slice(shared),
          rejected: rejected.slice(shared),
          tools: chosenRun.trajectory.run.tools,
          metadata: {
            task_id: taskId,
            chosen_run_id: better.run_id,
            rejected_run_id: worse.run_id,
            chosen_reward: better.reward,
            rejected_reward: worse.reward,
            margin: (better.reward ?? 0) - (worse.reward ?? 0),
          },
        });
        context.stats.addRun(better, split);
        context.stats.addRun(worse, split);
        context.stats.addRow(split);
      }
    }
  },
};
