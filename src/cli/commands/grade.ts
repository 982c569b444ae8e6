import { readFile } from 'node:fs/promises';
import { describeLogGrade, gradeLog, type LogGrade } from '../../core/reward/gradeTask';
import { HARNESS_RELEASES } from '../../core/reward/harnessVersion';
import { LogParseError } from '../../core/reward/testStatus';
import { loadEnvironmentSpecs } from '../../core/task/environment';
import { loadTask } from '../../core/task/loadTasks';
import { harnessVersionFlag } from './eval';
import type { CliCommand } from './index';
import { numberOption, parseCommandLine } from '../grammar';

const USAGE = `usage: rollout grade --tasks FILE --instance ID --log TEST.log [options]

Grades one test log as the SWE-bench harness would, without Docker: the instance's log parser reads the
log, and its FAIL_TO_PASS / PASS_TO_PASS tests are graded by the harness's rules. Prints the report.json
the harness would write and the resolution (RESOLVED_FULL, RESOLVED_PARTIAL or RESOLVED_NO).

TEST.log is a harness test_output.txt (or one of Rollout Studio's, which have the same shape); with --raw
it is a test runner's own output, read whole.

options:
  --json                 the report, status map and resolution as one JSON object
  --harness-version V    grade as harness release V: 5 (${HARNESS_RELEASES[5]}) or 4 (${HARNESS_RELEASES[4]});
                         default: the release of the task dataset's own harness (4 for SWE-rebench), else 5
  --raw                  TEST.log is the test command's own output, without the harness's markers
  --exit-code N          with --raw: the test command's exit status
  --no-patch             grade as for a prediction without a patch (patch_is_None)
  --specs FILE           per-repo environment specs (JSON) that name log parsers

exit code: 0 when graded, 1 when the harness's parser fails on the log (it writes no report then), 2 on bad input.`;

export const gradeCommand: CliCommand = {
  summary: 'grade one test log as the SWE-bench harness would and print its report',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'grade',
        usage: USAGE,
        required: ['tasks', 'instance', 'log'],
        options: {
          tasks: { type: 'string' },
          instance: { type: 'string' },
          log: { type: 'string' },
          json: { type: 'boolean' },
          'harness-version': { type: 'string' },
          raw: { type: 'boolean' },
          'exit-code': { type: 'string' },
          'no-patch': { type: 'boolean' },
          specs: { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (values['exit-code'] !== undefined && !values.raw) {
      console.error('rollout grade: --exit-code goes with --raw (a test output records its own exit status)');
      return 2;
    }
    let grade: LogGrade;
    try {
      const harnessVersion = harnessVersionFlag(values['harness-version']);
      const task = await loadTask(values.tasks, values.instance);
      const specs = values.specs ? await loadEnvironmentSpecs(values.specs) : undefined;
      const log = await readFile(values.log, 'utf8').catch((error: Error) =>
        Promise.reject(new Error(`${values.log}: cannot read the log (${error.message})`)),
      );
      grade = await gradeLog(task, log, {
        harnessVersion,
        specs,
        raw: values.raw,
        exitCode: numberOption('exit-code', values['exit-code'], { integer: true }),
        noPatch: values['no-patch'],
      });
    } catch (error) {
      if (error instanceof LogParseError) {
        console.error(`rollout grade: ${error.message}; the harness writes no report for this log`);
        return 1;
      }
      console.error(`rollout grade: ${(error as Error).message}`);
      return 2;
    }
    console.log(values.json ? JSON.stringify(grade, null, 2) : describeLogGrade(grade));
    return 0;
  },
};
