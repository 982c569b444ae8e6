/**
 * What changed in the harness's evaluation and grading between the releases Rollout Studio reproduces, in
 * one place. Each rule names the release that introduced it.
 */

import type { Task } from '../task/task';
import { CURRENT_HARNESS_VERSION, type HarnessVersion } from './harnessVersion';

/** `pass_and_fail` grades every expected test by its status; `fail_only` counts a test as passed unless it FAILED. */
export type EvalType = 'pass_and_fail' | 'fail_only';
export const EVAL_TYPES: readonly EvalType[] = ['pass_and_fail', 'fail_only'];

export interface HarnessRules {
  harnessVersion: HarnessVersion;
  /** Commands tried in turn to apply the model's patch (file path appended); the first that succeeds wins. */
  modelPatchCommands: readonly string[];
  /** The work tree is restored (`git checkout -- . ; git clean -fd`) before each later attempt (5.0). */
  cleanBetweenPatchAttempts: boolean;
  /** A patch every command refused but that is already in the tree (`git apply --check --reverse`) counts as applied (5.0). */
  acceptAlreadyApplied: boolean;
  /** An expected id with more `[` than `]` (a parametrized id the dataset cut short) matches the log's ids it begins (5.0). */
  prefixMatchCutIds: boolean;
  /** A skipped FAIL_TO_PASS test fails and a skipped PASS_TO_PASS test is kept (5.0); before, both counted nowhere. */
  skippedCounts: boolean;
  /** A log with no results and no sign that the suite ran is an error, not a pass (5.0). */
  requireSuiteRan: boolean;
  /** A log that reports no failure while the test command exited non-zero is not graded (5.0). */
  checkExitCode: boolean;
  /** Repositories graded `fail_only` when the task does not say (the harness's FAIL_ONLY_REPOS). */
  failOnlyRepos: readonly string[];
  /** Whether a task's own `eval_type` is used (5.0 datasets carry one); 4.x decided by repository alone. */
  taskEvalType: boolean;
  /** The harness labels likely infrastructure failures in report.json and the run summary (5.0). */
  labelsInfraFailures: boolean;
  /** Where the test command's output between the markers holds no result, the whole log is read (4.1.0). */
  wholeLogWithoutResults: boolean;
  /** Only PASSED passes: every other status, and a test missing from the log, fails (SWE-bench Pro). */
  passedOnly: boolean;
  /** The binary files' sections of the model's patch are left out before it is applied (SWE-bench Pro). */
  dropsBinaryFiles: boolean;
  /**
   * A log the instance's parser fails on is unresolved, every expected test failing (SWE-bench Pro: no output.json),
   * where the parser reads the tests run without the patch; else it is an error, as in SWE-bench's harness.
   */
  parserFailureUnresolved: boolean;
  /** Test names lose their timing suffixes (`[1.34 ms]`, ` in 29.08 msec`, `(1.2s)`) before they are compared (SWE-rebench-V2). */
  stripsTestTimings: boolean;
  /**
   * The test command applies the test patch itself, over the model's changes (the test files are not reset first),
   * as part of the run the harness logs (SWE-rebench-V2).
   */
  testPatchInTestCommand: boolean;
}

export const HARNESS_RULES: Record<HarnessVersion, HarnessRules> = {
  4: {
    harnessVersion: 4,
    modelPatchCommands: ['git apply --verbose', 'git apply --verbose --reject', 'patch --batch --fuzz=5 -p1 -i'],
    cleanBetweenPatchAttempts: false,
    acceptAlreadyApplied: false,
    prefixMatchCutIds: false,
    skippedCounts: false,
    requireSuiteRan: false,
    checkExitCode: false,
    failOnlyRepos: ['chartjs/Chart.js', 'processing/p5.js', 'markedjs/marked'],
    taskEvalType: false,
    labelsInfraFailures: false,
    wholeLogWithoutResults: true,
    passedOnly: false,
    dropsBinaryFiles: false,
    parserFailureUnresolved: false,
    stripsTestTimings: false,
    testPatchInTestCommand: false,
  },
  5: {
    harnessVersion: 5,
    modelPatchCommands: [
      'git apply --verbose',
      'git apply --verbose --3way',
      'git apply --verbose --reject',
      'patch --batch --forward --fuzz=5 -p1 -i',
    ],
    cleanBetweenPatchAttempts: true,
    acceptAlreadyApplied: true,
    prefixMatchCutIds: true,
    skippedCounts: true,
    requireSuiteRan: true,
    checkExitCode: true,
    failOnlyRepos: [
      'chartjs/Chart.js',
      'processing/p5.js',
      'markedjs/marked',
      'bpmn-io/bpmn-js',
      'openlayers/openlayers',
      'eslint/eslint',
    ],
    taskEvalType: true,
    labelsInfraFailures: true,
    wholeLogWithoutResults: true,
    passedOnly: false,
    dropsBinaryFiles: false,
    parserFailureUnresolved: false,
    stripsTestTimings: false,
    testPatchInTestCommand: false,
  },
};

/** How a task is graded: its own `eval_type` where the rules allow one, else by its repository. */
export function evalTypeFor(rules: HarnessRules, repo: string | undefined, taskEvalType?: EvalType): EvalType {
  if (rules.taskEvalType && taskEvalType) return taskEvalType;
  return repo !== undefined && rules.failOnlyRepos.includes(repo) ? 'fail_only' : 'pass_and_fail';
}

/**
 * SWE-rebench's harness (SWE-rebench/SWE-bench-fork @ 39316f7): 4.1.0's rules and parsers, but from before 4.1.0 read
 * the whole log of a run whose output between the markers held no result.
 */
export const SWE_REBENCH_RULES: HarnessRules = { ...HARNESS_RULES[4], wholeLogWithoutResults: false };

/**
 * SWE-bench Pro's harness (scaleapi/SWE-bench_Pro-os @ ca10a60, swe_bench_pro_eval.py): the patch applied once with
 * `git apply -v`, its binary sections left out; resolved when every expected test is PASSED in the results of the
 * instance's own parser, compared by exact name; none of 5.0's checks of a log. No SWE-bench release grades these rows
 * (the reports name 4, whose rules these start from).
 */
export const SWE_BENCH_PRO_RULES: HarnessRules = {
  ...HARNESS_RULES[4],
  modelPatchCommands: ['git apply -v'],
  failOnlyRepos: [],
  wholeLogWithoutResults: false,
  passedOnly: true,
  dropsBinaryFiles: true,
  parserFailureUnresolved: true,
};

/**
 * SWE-rebench-V2's harness (SWE-rebench/SWE-rebench-V2 @ c71902a, scripts/eval.py): the model's patch, then the test
 * patch, each applied once by `git apply -v --3way --recount --ignore-space-change --whitespace=nowarn` under `set
 * -e`, then the row's test commands; its log read by the row's parser; resolved when every FAIL_TO_PASS and
 * PASS_TO_PASS test is PASSED there, names compared without their timing suffixes. A log its parser raises on counts
 * no test as passed. No SWE-bench release grades these rows (the reports name 4, whose rules these start from).
 */
export const SWE_REBENCH_V2_RULES: HarnessRules = {
  ...HARNESS_RULES[4],
  modelPatchCommands: ['git apply -v --3way --recount --ignore-space-change --whitespace=nowarn'],
  failOnlyRepos: [],
  wholeLogWithoutResults: false,
  passedOnly: true,
  parserFailureUnresolved: true,
  stripsTestTimings: true,
  testPatchInTestCommand: true,
};

/**
 * The rules that grade `task`: SWE-bench Pro's and SWE-rebench-V2's for their rows; else the release the run names,
 * else its dataset's own harness's, else the current.
 */
export function harnessRulesFor(
  task: Pick<Task, 'harness'>,
  options: { harnessVersion?: HarnessVersion },
): HarnessRules {
  if (task.harness === 'swe-bench-pro') return SWE_BENCH_PRO_RULES;
  if (task.harness === 'swe-rebench-v2') return SWE_REBENCH_V2_RULES;
  if (options.harnessVersion !== undefined) return HARNESS_RULES[options.harnessVersion];
  return task.harness === 'swe-rebench' ? SWE_REBENCH_RULES : HARNESS_RULES[CURRENT_HARNESS_VERSION];
}
