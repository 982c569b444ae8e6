import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunResult } from '../../../src/core/trajectory/types';
import { gradedTests, notGradedReason } from '../../../src/extension/results/gradedTests';

/** A finished run as a SWE rollout records it: the harness's instance report under `reward.report.report`. */
function gradedRun(tests_status: unknown): RunResult {
  return {
    exit_status: 'submitted',
    ended_at: '2026-12-02T05:00:00.000Z',
    patch: '',
    reward: { value: 0, resolved: false, report: { reward_fn: 'binary', report: { resolved: false, tests_status } } },
  };
}

const graded = gradedRun({
  FAIL_TO_PASS: { success: ['test_add'], failure: ['test_sub'] },
  PASS_TO_PASS: { success: ['test_old'], failure: [] },
  FAIL_TO_FAIL: { success: [], failure: [] },
  PASS_TO_FAIL: { success: [], failure: [] },
});

describe('a run’s tests for the Test Results view', () => {
  test("the task's tests, each passed, failed or (not named by the grade) skipped", () => {
    const task = { failToPass: ['test_add', 'test_sub', 'test_mul'], passToPass: ['test_old'] };
    assert.deepEqual(gradedTests(graded, task), [
      { group: 'FAIL_TO_PASS', id: 'test_add', outcome: 'passed' },
      { group: 'FAIL_TO_PASS', id: 'test_sub', outcome: 'failed' },
      { group: 'FAIL_TO_PASS', id: 'test_mul', outcome: 'skipped' },
      { group: 'PASS_TO_PASS', id: 'test_old', outcome: 'passed' },
    ]);
    assert.equal(notGradedReason(graded), undefined);
  });

  test('without the task, the tests the grade names', () => {
    assert.deepEqual(
      gradedTests(graded).map((test) => `${test.group} ${test.id} ${test.outcome}`),
      ['FAIL_TO_PASS test_add passed', 'FAIL_TO_PASS test_sub failed', 'PASS_TO_PASS test_old passed'],
    );
  });

  test('a run not graded: every test of the task skipped, and why', () => {
    const infra: RunResult = {
      exit_status: 'infra_error',
      ended_at: '2026-12-02T05:00:00.000Z',
      patch: '',
      reward: null,
      error: 'the engine went away',
    };
    assert.deepEqual(
      gradedTests(infra, { failToPass: ['test_add'], passToPass: [] }).map((test) => test.outcome),
      ['skipped'],
    );
    assert.match(notGradedReason(infra)!, /ended infra_error and was not graded: the engine went away/);
    assert.match(notGradedReason(gradedRun(undefined))!, /names no tests/);
    assert.equal(notGradedReason(undefined), 'the run has not finished');
  });
});
