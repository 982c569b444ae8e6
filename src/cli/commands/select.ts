import { formatSelection, formatTaskSelection, SCORE_FILE, selectWithVerifier } from '../../core/train/select';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';

const USAGE = `usage: rollout select --runs DIR… --verifier DIR [--json]

Scores every finished run with the verifier (onnxruntime-node), writes the score beside each
trajectory (${SCORE_FILE}) and picks the best attempt per task. The figure that counts is the one on
the verifier's held-out tasks (never trained on); on the others it has seen the outcomes.`;

export const selectCommand: CliCommand = {
  summary: 'pick the best of N attempts per task by verifier score',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'select',
        usage: USAGE,
        required: ['runs', 'verifier'],
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
    const { skipped, selections, summary, heldOut, card } = await selectWithVerifier(values.runs, values.verifier);
    for (const reason of skipped) console.error(`skipped ${reason}`);
    if (values.json) {
      console.log(
        JSON.stringify({
          summary,
          held_out: { ...heldOut, accuracy: card.holdout_accuracy },
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
    for (const selection of selections) console.log(formatTaskSelection(selection));
    console.log(formatSelection(summary, heldOut, card));
    return 0;
  },
};
