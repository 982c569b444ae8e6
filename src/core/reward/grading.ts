/**
 * Grading as the SWE-bench harness grades, as pure functions: status map → tests report → resolution, and
 * the instance's report.json entry. The log → status map step is in testOutput.ts.
 */

import type { EvalType, HarnessRules } from './harnessRules';
import { withoutTimings } from './sweRebenchV2Harness';
import type { StatusMap } from './testStatus';

export interface TestGroupResult {
  success: string[];
  failure: string[];
}

/** The harness's `tests_status`. It fills FAIL_TO_FAIL and PASS_TO_FAIL only on request, which its evaluation never makes. */
export interface TestsStatus {
  FAIL_TO_PASS: TestGroupResult;
  PASS_TO_PASS: TestGroupResult;
  FAIL_TO_FAIL: TestGroupResult;
  PASS_TO_FAIL: TestGroupResult;
}

export interface ExpectedTests {
  failToPass: string[];
  passToPass: string[];
}

export type ResolutionStatus = 'RESOLVED_FULL' | 'RESOLVED_PARTIAL' | 'RESOLVED_NO';

const PASSING = ['PASSED', 'XFAIL'];
const FAILING = ['FAILED', 'ERROR'];

/**
 * The log's id for an expected id: the same id (without its timing suffix where the rules strip them; the status map
 * was read so), or under the prefix rule the ids a cut-short id begins, when they agree.
 */
function logIdFor(expected: string, statuses: StatusMap, rules: HarnessRules): string | undefined {
  const id = rules.stripsTestTimings ? withoutTimings(expected) : expected;
  if (statuses.has(id)) return id;
  if (!rules.prefixMatchCutIds || count(id, '[') <= count(id, ']')) return undefined;
  const candidates = [...statuses.keys()].filter((candidate) => candidate.startsWith(id));
  const outcomes = new Set(candidates.map((candidate) => PASSING.includes(statuses.get(candidate) as string)));
  return candidates.length > 0 && outcomes.size === 1 ? candidates[0] : undefined;
}

function count(text: string, character: string): number {
  return text.split(character).length - 1;
}

function statusOf(id: string, statuses: StatusMap, rules: HarnessRules): string | undefined {
  const logId = logIdFor(id, statuses, rules);
  return logId === undefined ? undefined : statuses.get(logId);
}

/** Passed: PASSED, or XFAIL (an expected failure that failed as expected); only PASSED where the rules say so. */
function passed(status: string | undefined, rules: HarnessRules): boolean {
  if (rules.passedOnly) return status === 'PASSED';
  return status !== undefined && PASSING.includes(status);
}

/** Failed: FAILED, ERROR, absent from the log (it never ran), and since 5.0 SKIPPED; all but PASSED where told. */
function failed(status: string | undefined, rules: HarnessRules): boolean {
  if (rules.passedOnly) return status !== 'PASSED';
  return status === undefined || FAILING.includes(status) || (rules.skippedCounts && status === 'SKIPPED');
}

/** A FAIL_TO_PASS test by `pass_and_fail`: success when passed, failure when failed, neither for any other status. */
function gradeFailToPass(ids: string[], statuses: StatusMap, rules: HarnessRules): TestGroupResult {
  const result: TestGroupResult = { success: [], failure: [] };
  for (const id of ids) {
    const status = statusOf(id, statuses, rules);
    if (passed(status, rules)) result.success.push(id);
    else if (failed(status, rules)) result.failure.push(id);
  }
  return result;
}

/** A PASS_TO_PASS test by `pass_and_fail`: as FAIL_TO_PASS, except that since 5.0 a skipped test was kept. */
function gradePassToPass(ids: string[], statuses: StatusMap, rules: HarnessRules): TestGroupResult {
  const result: TestGroupResult = { success: [], failure: [] };
  for (const id of ids) {
    const status = statusOf(id, statuses, rules);
    if (passed(status, rules) || (rules.skippedCounts && status === 'SKIPPED')) result.success.push(id);
    else if (failed(status, rules)) result.failure.push(id);
  }
  return result;
}

/** `fail_only`: only a test the log reports FAILED, under its exact id, is a failure. */
function gradeFailOnly(ids: string[], statuses: StatusMap): TestGroupResult {
  const result: TestGroupResult = { success: [], failure: [] };
  for (const id of ids) (statuses.get(id) === 'FAILED' ? result.failure : result.success).push(id);
  return result;
}

export function testsReport(
  statuses: StatusMap,
  expected: ExpectedTests,
  rules: HarnessRules,
  evalType: EvalType,
): TestsStatus {
  const failOnly = evalType === 'fail_only';
  return {
    FAIL_TO_PASS: failOnly
      ? gradeFailOnly(expected.failToPass, statuses)
      : gradeFailToPass(expected.failToPass, statuses, rules),
    PASS_TO_PASS: failOnly
      ? gradeFailOnly(expected.passToPass, statuses)
      : gradePassToPass(expected.passToPass, statuses, rules),
    FAIL_TO_FAIL: { success: [], failure: [] },
    PASS_TO_FAIL: { success: [], failure: [] },
  };
}

/** Share of a group that passed; an empty group counts as all passed (the harness's rule). */
export function passShare(group: TestGroupResult): number {
  const total = group.success.length + group.failure.length;
  return total === 0 ? 1 : group.success.length / total;
}

/** FULL when both groups pass entirely; PARTIAL when some but not all FAIL_TO_PASS pass and PASS_TO_PASS all do. */
export function resolutionStatus(tests: TestsStatus): ResolutionStatus {
  const failToPass = passShare(tests.FAIL_TO_PASS);
  const passToPass = passShare(tests.PASS_TO_PASS);
  if (failToPass === 1 && passToPass === 1) return 'RESOLVED_FULL';
  if (failToPass > 0 && failToPass < 1 && passToPass === 1) return 'RESOLVED_PARTIAL';
  return 'RESOLVED_NO';
}
