/**
 * The evaluation script, shaped like the harness's `eval.sh` so that its output is a test output the harness
 * reads (testOutput.ts): under `set -uxo pipefail`, the install commands, the test files reset to the base
 * commit, the test patch, the build, the test command between the output markers, its exit status, and the
 * test files reset again; where the test command applies the test patch itself (SWE-rebench-V2), neither reset nor
 * the test patch. It works in any repository folder and from any base commit.
 */

import { shellQuote } from '../shellWords';
import { testCommandFor } from '../task/environment';
import type { Task, TaskEnvironment } from '../task/task';
import { TEST_OUTPUT_MARKERS } from './testOutput';

/** A here-document delimiter no patch line equals. */
const HEREDOC = 'EOF_114329324912';
const EXIT_CODE_VARIABLE = 'ROLLOUT_TEST_EXIT_CODE';

export interface EvalScriptInput {
  task: Pick<Task, 'testPatch'>;
  environment: TaskEnvironment;
  /** The repository root inside the sandbox. */
  workdir: string;
  /**
   * The task's base commit, whose test files are restored where the repository has it (an instance image);
   * elsewhere, and without one, the repository's own `HEAD` (a sandbox's one-commit copy of the base).
   */
  baseCommit?: string;
  /** The test command applies the test patch itself (HarnessRules.testPatchInTestCommand): no reset, no apply here. */
  testPatchInTestCommand?: boolean;
}

/**
 * The files the test patch changes or deletes (not those it creates): the files whose base version is
 * restored, so that a model's edits to them cannot stand.
 */
export function testFilesToReset(testPatch: string): string[] {
  const files: string[] = [];
  for (const match of testPatch.matchAll(/^--- a\/(.*)$/gm)) {
    const file = match[1].replace(/\t.*$/, '').trimEnd();
    if (!files.includes(file)) files.push(file);
  }
  return files;
}

const BASE_VARIABLE = 'ROLLOUT_BASE_COMMIT';

function resetCommand(files: string[], base: string): string {
  if (files.length === 0) return 'echo "No test files to reset"';
  return `git checkout ${base} -- ${files.map(shellQuote).join(' ')}`;
}

/** The shell lines that pick the base commit, and how the reset names it. */
function baseCommitLines(baseCommit: string | undefined): { lines: string[]; base: string } {
  if (!baseCommit || !/^[0-9a-f]{7,40}$/i.test(baseCommit)) return { lines: [], base: 'HEAD' };
  return {
    lines: [`${BASE_VARIABLE}=$(git rev-parse --verify --quiet '${baseCommit}^{commit}' || git rev-parse HEAD)`],
    base: `"$${BASE_VARIABLE}"`,
  };
}

export function evalScript(input: EvalScriptInput): string {
  const { task, environment, workdir, baseCommit } = input;
  const base = baseCommitLines(baseCommit);
  const reset = input.testPatchInTestCommand ? [] : [resetCommand(testFilesToReset(task.testPatch), base.base)];
  const testPatch = task.testPatch.endsWith('\n') ? task.testPatch.slice(0, -1) : task.testPatch;
  const applyTestPatch = input.testPatchInTestCommand
    ? []
    : [
        task.testPatch.trim() === ''
          ? 'echo "No test patch to apply"'
          : `git apply -v - <<'${HEREDOC}'\n${testPatch}\n${HEREDOC}`,
      ];
  return [
    '#!/bin/bash',
    'set -uxo pipefail',
    `cd ${shellQuote(workdir)}`,
    `git config --global --add safe.directory ${shellQuote(workdir)}`,
    ...base.lines,
    ...environment.install,
    ...reset,
    ...applyTestPatch,
    ...(environment.build ?? []),
    `: '${TEST_OUTPUT_MARKERS.start}'`,
    testCommandFor(environment, task),
    `${EXIT_CODE_VARIABLE}=$?`,
    `: '${TEST_OUTPUT_MARKERS.end}'`,
    `echo "${TEST_OUTPUT_MARKERS.exitCode}: $${EXIT_CODE_VARIABLE}"`,
    ...reset,
    '',
  ].join('\n');
}
