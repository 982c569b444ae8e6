import type { ExportFormat } from './format';
import type { RunSummary } from './runs';

/** The attempt to submit for a task: highest reward, unscored last, earliest attempt on ties. */
function bestAttempt(group: RunSummary[]): RunSummary {
  return [...group].sort((a, b) => (b.reward ?? -Infinity) - (a.reward ?? -Infinity) || a.attempt - b.attempt)[0];
}

/** SWE-bench predictions, one per task, as the SWE-bench harness and `rollout eval` take them. */
export const swebenchPredsFormat: ExportFormat = {
  name: 'swebench-preds',
  summary: 'predictions JSONL: {"instance_id", "model_name_or_path", "model_patch"}, the best attempt per task',
  splittable: false,
  requiresReward: false,
  usesStyle: false,
  async write(context) {
    const groups = await context.source.groupsByTask();
    for (const taskId of [...groups.keys()].sort()) {
      const group = groups.get(taskId) ?? [];
      const best = bestAttempt(group);
      const { trajectory } = await context.source.reload(best);
      await context.writer('preds').write({
        instance_id: taskId,
        model_name_or_path: trajectory.run.model.name || trajectory.run.policy,
        model_patch: trajectory.result.patch,
      });
      for (let i = 1; i < group.length; i += 1) context.stats.skip('not_best_attempt');
      context.stats.addRun(best, 'preds');
      context.stats.addRow('preds');
    }
  },
};
