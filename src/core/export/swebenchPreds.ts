import { join } from 'node:path';
import type { ExportFormat } from './format';
import { JsonlWriter } from './jsonlWriter';
import type { RunSummary } from './runs';

/** The same predictions as one JSON array: SWE-bench Pro's harness `json.load`s its `--patch_path`. */
const ARRAY_FILE = 'preds.json';

/** The attempt to submit for a task: highest reward, unscored last, earliest attempt on ties. */
function bestAttempt(group: RunSummary[]): RunSummary {
  return [...group].sort((a, b) => (b.reward ?? -Infinity) - (a.reward ?? -Infinity) || a.attempt - b.attempt)[0];
}

/**
 * SWE-bench predictions, one per task, as the SWE-bench harness and `rollout eval` take them (`preds.jsonl`), and as
 * SWE-bench Pro's harness takes them (`preds.json`, which it reads `model_patch` of; SWE-bench's reads it too).
 */
export const swebenchPredsFormat: ExportFormat = {
  name: 'swebench-preds',
  summary: 'predictions (JSONL, and a JSON array): {"instance_id", "model_name_or_path", "model_patch"}, best per task',
  splittable: false,
  requiresReward: false,
  usesStyle: false,
  async write(context) {
    const groups = await context.source.groupsByTask();
    const array = new JsonlWriter(join(context.outDir, ARRAY_FILE), 'array');
    try {
      for (const taskId of [...groups.keys()].sort()) {
        const group = groups.get(taskId) ?? [];
        const best = bestAttempt(group);
        const { trajectory } = await context.source.reload(best);
        const prediction = {
          instance_id: taskId,
          model_name_or_path: trajectory.run.model.name || trajectory.run.policy,
          model_patch: trajectory.result.patch,
        };
        await context.writer('preds').write(prediction);
        await array.write(prediction);
        for (let i = 1; i < group.length; i += 1) context.stats.skip('not_best_attempt');
        context.stats.addRun(best, 'preds');
        context.stats.addRow('preds');
      }
    } finally {
      await array.close();
    }
    context.addFile(ARRAY_FILE);
  },
};
