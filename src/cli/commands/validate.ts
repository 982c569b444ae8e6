import { randomUUID } from 'node:crypto';
import { exampleTasksFolder } from '../../core/paths';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { formatValidations, validateTasks } from '../../core/reward/validateTasks';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError } from '../../core/task/task';
import { EVALUATION_FLAGS, harnessVersionFlag } from './eval';
import type { CliCommand } from './index';
import { countOption, parseCommandLine } from '../grammar';
import { SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout validate [--tasks FILE_OR_DIR] [--workers N] [--repos DIR] [--specs FILE] [--timeout SEC]
                        [--harness-version V] [--json]

For every task, in fresh Docker sandboxes: the gold patch must resolve it, and with an empty patch every
FAIL_TO_PASS test must fail while every PASS_TO_PASS test passes. Without --tasks, validates the bundled
example tasks (tasks/examples). Prints one row a task; the exit code is 0 only if every task is valid.

options:
${SANDBOX_USAGE}`;

export const validateCommand: CliCommand = {
  summary: 'check that each task is well posed: gold patch resolves it, an empty patch does not',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'validate',
        usage: USAGE,
        options: { tasks: { type: 'string' }, json: { type: 'boolean' }, ...EVALUATION_FLAGS },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const source = values.tasks ?? exampleTasksFolder();
    const { tasks, errors } = await loadTasks(source);
    for (const error of errors) console.error(formatLoadError(error));
    if (tasks.length === 0) {
      console.error(`rollout validate: no tasks loaded from ${source}`);
      return 2;
    }
    const options = await dockerEvaluatorOptions({
      reposDir: values.repos,
      specsFile: values.specs,
      ...sandboxSettings(values),
      testTimeoutMs: countOption('timeout', values.timeout, 1800) * 1000,
      harnessVersion: harnessVersionFlag(values['harness-version']),
      runId: `validate-${randomUUID()}`,
    });
    const validations = await validateTasks(tasks, {
      ...options,
      workers: countOption('workers', values.workers, 2),
    });
    if (values.json) {
      console.log(
        JSON.stringify(
          validations.map(({ taskId, gold, empty, ok, problems }) => ({
            task: taskId,
            gold: gold.status,
            empty: empty.status,
            valid: ok,
            problems,
          })),
          null,
          2,
        ),
      );
    } else {
      console.log(formatValidations(validations));
    }
    return errors.length === 0 && validations.every((v) => v.ok) ? 0 : 1;
  },
};
