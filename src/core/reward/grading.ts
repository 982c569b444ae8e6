/**
 * Grading with the SWE-bench harness's semantics, as pure functions: status map → tests report →
 * resolution → the instance's report.json, and a run summary over many instances.
 */

import { testFailed, testPassed, type StatusMap } from './testStatus';

export interface TestGroupResult {
  success: string[];
  failure: string[];
}

/** The harness's `tests_status`. FAIL_TO_FAIL and PASS_TO_FAIL stay empty unless reference lists are given. */
export interface TestsStatus {
  FAIL_TO_PASS: TestGroupResult;
  PASS_TO_PASS: TestGroupResult;
  FAIL_TO_FAIL: TestGroupResult;
  PASS_TO_FAIL: TestGroupResult;
}

export interface ExpectedTests {
  failToPass: string[];
  passToPass: string[];
  failToFail?: string[];
  passToFail?: string[];
}

export type ResolutionStatus = 'RESOLVED_FULL' | 'RESOLVED_PARTIAL' | 'RESOLVED_NO';

/** One instance's report.json, with the harness's field names and order. */
export interface InstanceReport {
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  resolved: boolean;
  tests_status: TestsStatus;
  model_name_or_path: string;
}

/** A test that neither passed nor failed (skipped) lands in neither list, as in the harness. */
function groupResult(ids: string[], statuses: StatusMap): TestGroupResult {
  const result: TestGroupResult = { success: [], failure: [] };
  for (const id of ids) {
    if (testPassed(id, statuses)) result.success.push(id);
    else if (testFailed(id, statuses)) result.failure.push(id);
  }
  return result;
}

export function gradeTests(statuses: StatusMap, expected: ExpectedTests): TestsStatus {
  return {
    FAIL_TO_PASS: groupResult(expected.failToPass, statuses),
    PASS_TO_PASS: groupResult(expected.passToPass, statuses),
    FAIL_TO_FAIL: groupResult(expected.failToFail ?? [], statuses),
    PASS_TO_FAIL: groupResult(expected.passToFail ?? [], statuses),
  };
}

/** Share of a group that passed; an empty group counts as all passed (the harness's rule). */
export function passShare(group: TestGroupResult): number {
  const total = group.success.length + group.failure.length;
  return total === 0 ? 1 : group.success.length / total;
}

export function resolutionStatus(tests: TestsStatus): ResolutionStatus {
  const failToPass = passShare(tests.FAIL_TO_PASS);
  const passToPass = passShare(tests.PASS_TO_PASS);
  if (failToPass === 1 && passToPass === 1) return 'RESOLVED_FULL';
  if (failToPass > 0 && failToPass < 1 && passToPass === 1) return 'RESOLVED_PARTIAL';
  return 'RESOLVED_NO';
}

export function emptyTestsStatus(): TestsStatus {
  const empty = (): TestGroupResult => ({ success: [], failure: [] });
  return { FAIL_TO_PASS: empty(), PASS_TO_PASS: empty(), FAIL_TO_FAIL: empty(), PASS_TO_FAIL: empty() };
}

export interface ReportInput {
  modelName: string;
  /** The submitted patch; `null` when the model submitted nothing. */
  patch: string | null;
  patchApplied: boolean;
  /** Parsed test outcomes; absent when the tests never ran (the patch did not apply). */
  statuses?: StatusMap;
  expected: ExpectedTests;
}

export function instanceReport(input: ReportInput): InstanceReport {
  const ran = input.patchApplied && input.statuses !== undefined;
  const tests = ran ? gradeTests(input.statuses as StatusMap, input.expected) : emptyTestsStatus();
  return {
    patch_is_None: input.patch === null,
    patch_exists: input.patch !== null && input.patch.trim() !== '',
    patch_successfully_applied: input.patchApplied,
    resolved: ran && resolutionStatus(tests) === 'RESOLVED_FULL',
    tests_status: tests,
    model_name_or_path: input.modelName,
  };
}

/** How one instance's evaluation ended; infrastructure errors are kept apart from wrong answers. */
export type EvaluationStatus = 'resolved' | 'unresolved' | 'patch-failed' | 'infra-error';

/**
 * The harness's run summary (`resolved`, `unresolved`, `total`, `ids_resolved`, `ids_unresolved`), where
 * `unresolved` includes patches that did not apply (the model's fault, as in the harness), plus the
 * instances the infrastructure failed, which count in neither and not in `total`.
 */
export interface RunSummary {
  resolved: number;
  unresolved: number;
  total: number;
  ids_resolved: string[];
  ids_unresolved: string[];
  patch_failed: number;
  ids_patch_failed: string[];
  infra_error: number;
  ids_infra_error: string[];
}

export function runSummary(outcomes: { instanceId: string; status: EvaluationStatus }[]): RunSummary {
  const ids = (wanted: EvaluationStatus[]) =>
    outcomes.filter((outcome) => wanted.includes(outcome.status)).map((outcome) => outcome.instanceId);
  const resolved = ids(['resolved']);
  const unresolved = ids(['unresolved', 'patch-failed']);
  const patchFailed = ids(['patch-failed']);
  const infraError = ids(['infra-error']);
  return {
    resolved: resolved.length,
    unresolved: unresolved.length,
    total: resolved.length + unresolved.length,
    ids_resolved: resolved,
    ids_unresolved: unresolved,
    patch_failed: patchFailed.length,
    ids_patch_failed: patchFailed,
    infra_error: infraError.length,
    ids_infra_error: infraError,
  };
}
