import { randomUUID } from 'node:crypto';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { predictionsProblem, runEvaluation } from '../../core/reward/evalRun';
import { describeRun } from '../../core/reward/runSummary';
import type { EvaluationResult } from '../../core/reward/evaluator';
import { HARNESS_RELEASES, parseHarnessVersion } from '../../core/reward/harnessVersion';
import { describeErrors, loadPredictions } from '../../core/reward/predictions';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError } from '../../core/task/task';
import type { CliCommand } from './index';
import { countOption, parseCommandLine } from '../grammar';
import { SANDBOX_FLAGS, SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout eval --tasks FILE --predictions PREDS.jsonl --out DIR [options]

Evaluates SWE-bench-format predictions (instance_id, model_name_or_path, model_patch; JSONL or JSON, or
SWE-bench Pro's patches file: instance_id, patch, prefix) in fresh Docker sandboxes as the SWE-bench
harness does, and writes its files: DIR/<instance_id>/report.json (only for graded instances, as the
harness), test_output.txt, patch.diff, eval.sh, run_instance.log, and DIR/summary.json (the harness's run
report). Rollout Studio's own figures go to result.json and DIR/rollout-summary.json. A rerun reuses a
result only when the task and the patch are unchanged.

options:
  --workers N            sandboxes at a time (default 1)
  --repos DIR            local clones named owner__name instead of cloning into the cache
  --specs FILE           per-repo environment specs (JSON)
  --timeout SEC          limit for the evaluation script (default 1800); a timeout is an error, not resolved
  --harness-version V    grade as harness release V: 5 (${HARNESS_RELEASES[5]}) or 4 (${HARNESS_RELEASES[4]});
                         default: the release of the task dataset's own harness (4 for SWE-rebench), else 5
${SANDBOX_USAGE}

exit code: 0 when every instance was evaluated, 1 when any hit an infrastructure error, 2 on bad input.`;

/** Flags shared with `rollout validate`. */
export const EVALUATION_FLAGS = {
  workers: { type: 'string' },
  repos: { type: 'string' },
  specs: { type: 'string' },
  timeout: { type: 'string' },
  'harness-version': { type: 'string' },
  ...SANDBOX_FLAGS,
} as const;

export function describeResult(result: EvaluationResult, reused = false): string {
  const note = result.error ? `: ${result.error.split('\n')[0]}` : '';
  return `${result.instanceId.padEnd(40)} ${result.status}${reused ? ' (unchanged, reused)' : ''}${note}`;
}

/** The release `--harness-version` names; absent, each task is graded by its dataset's harness (harnessVersionFor). */
export function harnessVersionFlag(value: string | undefined) {
  return value === undefined ? undefined : parseHarnessVersion(value);
}

/** The tasks and predictions to evaluate; a file that cannot be read, a bad row or a mismatch is bad input. */
async function evaluationInputs(tasksFile: string, predictionsFile: string) {
  const loaded = await loadTasks(tasksFile);
  if (loaded.errors.length > 0)
    throw new Error(
      `${loaded.errors.length} task row(s) did not load:\n${loaded.errors.map((error) => `  ${formatLoadError(error)}`).join('\n')}`,
    );
  const { predictions, errors } = await loadPredictions(predictionsFile);
  if (errors.length > 0) throw new Error(`${errors.length} prediction row(s) did not load:\n${describeErrors(errors)}`);
  const problem = predictionsProblem(loaded.tasks, predictions);
  if (problem) throw new Error(`${predictionsFile}: ${problem}`);
  return { tasks: loaded.tasks, predictions };
}

export const evalCommand: CliCommand = {
  summary: 'evaluate SWE-bench-format predictions in Docker sandboxes and write harness-shaped reports',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'eval',
        usage: USAGE,
        required: ['tasks', 'predictions', 'out'],
        options: {
          tasks: { type: 'string' },
          predictions: { type: 'string' },
          out: { type: 'string' },
          ...EVALUATION_FLAGS,
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const workers = countOption('workers', values.workers, 1);
    const testTimeoutMs = countOption('timeout', values.timeout, 1800) * 1000;
    const inputs = await evaluationInputs(values.tasks, values.predictions).catch((error: Error) => error);
    if (inputs instanceof Error) {
      console.error(`rollout eval: ${inputs.message}`);
      return 2;
    }
    const { tasks, predictions } = inputs;
    const options = await dockerEvaluatorOptions({
      reposDir: values.repos,
      specsFile: values.specs,
      ...sandboxSettings(values),
      testTimeoutMs,
      harnessVersion: harnessVersionFlag(values['harness-version']),
      runId: `eval-${randomUUID()}`,
    });
    const { summary, rolloutSummary, reused } = await runEvaluation(tasks, predictions, {
      ...options,
      outDir: values.out,
      workers,
      onResult: (result, wasReused) => console.log(describeResult(result, wasReused)),
    });
    console.log(
      `\n${describeRun(summary, rolloutSummary)}${reused ? `, ${reused} reused` : ''}; reports in ${values.out}`,
    );
    return rolloutSummary.counts['infra-error'] > 0 ? 1 : 0;
  },
};
