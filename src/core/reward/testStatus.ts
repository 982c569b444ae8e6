/** Outcomes of single tests, as the SWE-bench harness names them. */

export type TestStatus = 'PASSED' | 'FAILED' | 'SKIPPED' | 'ERROR' | 'XFAIL';

/** Test id → outcome, as parsed from one test run's log. */
export type StatusMap = Map<string, TestStatus>;

/** A log parser: one per test framework, pure (log text in, status map out). */
export type LogParser = (log: string) => StatusMap;

/** Passed for grading: a real pass, or an expected failure that failed as expected (the harness's rule). */
export function testPassed(id: string, statuses: StatusMap): boolean {
  const status = statuses.get(id);
  return status === 'PASSED' || status === 'XFAIL';
}

/** Failed for grading: failed, errored, or absent from the log (a test that never ran did not pass). */
export function testFailed(id: string, statuses: StatusMap): boolean {
  const status = statuses.get(id);
  return status === undefined || status === 'FAILED' || status === 'ERROR';
}
