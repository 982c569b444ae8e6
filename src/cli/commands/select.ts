import { parseArgs } from 'node:util';
import { collectCandidates, selectBest, SCORE_FILE, summariseSelection } from '../../core/train/select';
import { Verifier } from '../../core/train/verifier';
import type { CliCommand } from './index';

const USAGE = `usage: rollout select --runs DIR… --verifier DIR [--json]

Scores every finished run with the verifier (onnxruntime-node), writes the score beside each
trajectory (${SCORE_FILE}) and picks the best attempt per task.`;

export const selectCommand: CliCommand = {
  summary: 'pick the best of N attempts per task by verifier score',
  async run(args) {
    let values;
    try {
      values = parseArgs({
        args,
        strict: true,
        options: {
          runs: { type: 'string', multiple: true },
          verifier: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean' },
        },
      }).values;
    } catch (error) {
      console.error(`rollout select: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.runs?.length || !values.verifier) {
      console.error(`rollout select: --runs and --verifier are required\n\n${USAGE}`);
      return 2;
    }
    const verifier = await Verifier.load(values.verifier);
    try {
      const scan = await collectCandidates(values.runs);
      for (const skipped of scan.skipped) console.error(`skipped ${skipped}`);
      const selections = await selectBest(scan.candidates, verifier, values.verifier);
      const summary = summariseSelection(selections);
      if (values.json) {
        console.log(
          JSON.stringify({
            summary,
            selections: selections.map((s) => ({
              task_id: s.taskId,
              run_id: s.chosen.runId,
              path: s.chosen.path,
              score: s.chosen.score,
              reward: s.chosen.reward,
            })),
          }),
        );
        return 0;
      }
      for (const selection of selections) {
        const { chosen } = selection;
        console.log(
          `${selection.taskId}\t${chosen.runId}\tscore ${chosen.score.toFixed(4)}\treward ${chosen.reward ?? 'n/a'}\t(${selection.attempts.length} attempts)\t${chosen.path}`,
        );
      }
      const format = (value: number | null) => (value === null ? 'n/a' : value.toFixed(3));
      console.log(
        `${summary.tasks} tasks; mean reward: chosen ${format(summary.chosenMeanReward)}, any attempt ${format(summary.averageMeanReward)}, best possible ${format(summary.oracleMeanReward)}; verifier held-out accuracy ${format(verifier.card.holdout_accuracy)}`,
      );
      return 0;
    } finally {
      await verifier.close();
    }
  },
};
