import {
  collectCandidates,
  heldOutSelections,
  selectBest,
  SCORE_FILE,
  summariseSelection,
  type SelectionSummary,
} from '../../core/train/select';
import { Verifier } from '../../core/train/verifier';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';

const USAGE = `usage: rollout select --runs DIR… --verifier DIR [--json]

Scores every finished run with the verifier (onnxruntime-node), writes the score beside each
trajectory (${SCORE_FILE}) and picks the best attempt per task. The figure that counts is the one on
the verifier's held-out tasks (never trained on); on the others it has seen the outcomes.`;

/** The summary lines: held-out tasks first (the verifier's real figure), then every task. */
export function formatSelection(
  all: SelectionSummary,
  heldOut: SelectionSummary,
  card: { holdout_accuracy: number | null; holdout_majority_accuracy?: number | null },
): string {
  const format = (value: number | null | undefined) =>
    value === null || value === undefined ? 'n/a' : value.toFixed(3);
  const line = (summary: SelectionSummary) =>
    `mean reward: chosen ${format(summary.chosenMeanReward)}, any attempt ${format(summary.averageMeanReward)}, best possible ${format(summary.oracleMeanReward)}`;
  const heldOutLine = heldOut.tasks
    ? `held-out tasks (${heldOut.tasks}, never trained on): ${line(heldOut)}; verifier accuracy ${format(card.holdout_accuracy)} (always guessing the common outcome: ${format(card.holdout_majority_accuracy)})`
    : 'held-out tasks: none of these runs (the verifier has seen every task here; train it on other tasks for a figure that means something)';
  return `${heldOutLine}\nall ${all.tasks} tasks (includes tasks the verifier was trained on): ${line(all)}`;
}

export const selectCommand: CliCommand = {
  summary: 'pick the best of N attempts per task by verifier score',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'select',
        usage: USAGE,
        options: {
          runs: { type: 'string', multiple: true },
          verifier: { type: 'string' },
          json: { type: 'boolean' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
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
      const heldOut = summariseSelection(heldOutSelections(selections, verifier.card.holdout_tasks ?? []));
      if (values.json) {
        console.log(
          JSON.stringify({
            summary,
            held_out: { ...heldOut, accuracy: verifier.card.holdout_accuracy },
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
      console.log(formatSelection(summary, heldOut, verifier.card));
      return 0;
    } finally {
      await verifier.close();
    }
  },
};
