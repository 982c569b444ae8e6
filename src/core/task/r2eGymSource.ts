/**
 * R2E-Gym task instances as released (R2E-Gym-Lite, -Subset, -Full): a repository at the commit before a fix,
 * in its image (`docker_image`) at `/testbed` with its virtual environment on PATH, hidden tests in
 * `/r2e_tests` and the command that runs them in `/testbed/run_tests.sh`. As R2E-Gym's own runtime does, a
 * sandbox moves those out of the repository (to /root, the tests linked back) before the agent starts.
 *
 * FAIL_TO_PASS and PASS_TO_PASS come from the two test runs the row records (`execution_result_content`:
 * before and after the fix), read with the same parser that grades the run, so their ids match. R2E-Gym's own
 * reward also asks that tests failing after the fix still fail; these lists, like SWE-bench's, do not. The gold
 * patch is the row's parsed fixing commit written back as R2E-Gym writes it (r2eGymPatch.ts).
 */

import { CURRENT_HARNESS_VERSION } from '../reward/harnessVersion';
import { parseTestLog } from '../reward/logParsers/index';
import { LogParseError } from '../reward/testStatus';
import { TESTBED } from './instanceImages';
import { r2eGymGoldPatch } from './r2eGymPatch';
import { loadRows, optionalString, parseEncodedValue, requiredString, type Row } from './rows';
import { FieldError, type Task, type TaskLoadResult, type TaskSource } from './task';

const HIDE_TESTS = [
  'if [ -e run_tests.sh ]; then mv run_tests.sh /root/run_tests.sh || exit 1; fi',
  'if [ -d /r2e_tests ]; then mv /r2e_tests /root/r2e_tests && ln -s /root/r2e_tests r2e_tests || exit 1; fi',
].join('\n');

/** The issue between R2E-Gym's `[ISSUE]` tags when it has them, as its runtime shows it to the agent. */
function issueText(statement: string): string {
  return /\[ISSUE\]([\s\S]*)\[\/ISSUE\]/.exec(statement)?.[1].trim() ?? statement;
}

function recordedRuns(row: Row): { before: string; after: string } {
  const field = 'execution_result_content';
  const raw = row[field];
  const result = typeof raw === 'string' ? parseEncodedValue(field, raw) : raw;
  if (typeof result !== 'object' || result === null)
    throw new FieldError(field, 'missing: the test runs before and after the fix are read from it');
  const { old_commit_res_stdout: before, new_commit_res_stdout: after } = result as Record<string, unknown>;
  if (typeof before !== 'string' || typeof after !== 'string')
    throw new FieldError(field, 'has no old_commit_res_stdout / new_commit_res_stdout test output');
  return { before, after };
}

function recordedStatuses(instanceId: string, before: string, after: string) {
  const context = { instanceId, harnessVersion: CURRENT_HARNESS_VERSION };
  try {
    return {
      statusBefore: parseTestLog('pytest', before, context),
      statusAfter: parseTestLog('pytest', after, context),
    };
  } catch (error) {
    if (!(error instanceof LogParseError)) throw error;
    throw new FieldError('execution_result_content', `its test output cannot be read: ${error.message}`);
  }
}

export function r2eGymRowToTask(row: Row): Task {
  const repoName = requiredString(row, 'repo_name');
  const commit = requiredString(row, 'commit_hash');
  const id = optionalString(row, 'instance_id') ?? `${repoName}-${commit}`;
  const { before, after } = recordedRuns(row);
  const { statusBefore, statusAfter } = recordedStatuses(id, before, after);
  const passing = [...statusAfter].filter(([, status]) => status === 'PASSED').map(([id]) => id);
  if (passing.length === 0)
    throw new FieldError('execution_result_content', 'no test passes after the fix: nothing to grade with');
  return {
    id,
    kind: 'swe-bench',
    dataset: 'r2e-gym',
    repo: { location: TESTBED },
    problemStatement: issueText(requiredString(row, 'problem_statement')),
    hints: '',
    language: 'python',
    environment: { install: [], testCommand: 'bash /root/run_tests.sh', logParser: 'pytest' },
    testPatch: '',
    goldPatch: r2eGymGoldPatch(row),
    failToPass: passing.filter((id) => statusBefore.get(id) !== 'PASSED'),
    passToPass: passing.filter((id) => statusBefore.get(id) === 'PASSED'),
    instance: { image: requiredString(row, 'docker_image'), workdir: TESTBED, setup: HIDE_TESTS },
  };
}

export class R2eGymSource implements TaskSource {
  readonly format = 'r2e-gym';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, r2eGymRowToTask);
  }
}
