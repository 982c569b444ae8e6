import type { ExportFormat } from './format';
import { exportTurns, styled } from './messages';
import type { LoadedRun } from './runs';
import { splitOf } from './split';

/** Per-row provenance: which run, which task, how it scored. */
export function rowMetadata({ trajectory, summary }: LoadedRun): Record<string, unknown> {
  return {
    task_id: summary.task_id,
    run_id: summary.run_id,
    attempt: summary.attempt,
    reward: summary.reward,
    resolved: summary.resolved ?? null,
    exit_status: summary.exit_status,
    policy: trajectory.run.policy,
    model: trajectory.run.model.name,
  };
}

/** OpenAI chat JSONL, one conversation a line: what TRL's SFTTrainer, torchtune and unsloth read as is. */
export const sftFormat: ExportFormat = {
  name: 'sft',
  summary: 'one conversation a line: {"messages", "tools", "metadata"}',
  splittable: true,
  requiresReward: false,
  usesStyle: true,
  async write(context) {
    const seen = new Set<string>();
    for await (const run of context.source.accepted()) {
      if (run.summary.invalid_tool_arguments > 0) {
        context.stats.skip('invalid_tool_arguments');
        continue;
      }
      if (seen.has(run.summary.conversation_key)) {
        context.stats.skip('duplicate');
        continue;
      }
      seen.add(run.summary.conversation_key);
      const split = splitOf(run.summary.task_id, context.split);
      await context.writer(split).write({
        messages: styled(exportTurns(run.trajectory.turns, context.style), context.style),
        tools: run.trajectory.run.tools,
        metadata: rowMetadata(run),
      });
      context.stats.addRun(run.summary, split);
      context.stats.addRow(split);
    }
  },
};
