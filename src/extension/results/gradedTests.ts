/** A run's graded tests, one row per test of the task, as the Test Results view shows them. Pure: no vscode. */
import type { Task } from '../../core/task/task';
import type { RunResult } from '../../core/trajectory/types';
import { testOutcomes } from '../playback/playbackModel';

export const TEST_GROUPS = ['FAIL_TO_PASS', 'PASS_TO_PASS'] as const;
export type TestGroup = (typeof TEST_GROUPS)[number];

export interface GradedTest {
  group: TestGroup;
  id: string;
  /** Skipped: the grade does not name the test (the run was not graded, or its tests never ran). */
  outcome: 'passed' | 'failed' | 'skipped';
}

/**
 * The tests of a run by its grade. With the task at hand its FAIL_TO_PASS and PASS_TO_PASS lists are the tests
 * (a test the grade does not name is skipped); without it, the tests the grade names.
 */
export function gradedTests(
  result: RunResult | undefined,
  task?: Pick<Task, 'failToPass' | 'passToPass'>,
): GradedTest[] {
  const report = result?.reward?.report;
  return TEST_GROUPS.flatMap((group) => {
    const graded = testOutcomes(report, group);
    const expected = task ? (group === 'FAIL_TO_PASS' ? task.failToPass : task.passToPass) : undefined;
    const ids = expected ?? [...(graded?.success ?? []), ...(graded?.failure ?? [])];
    return ids.map((id): GradedTest => {
      const outcome = graded?.success.includes(id) ? 'passed' : graded?.failure.includes(id) ? 'failed' : 'skipped';
      return { group, id, outcome };
    });
  });
}

/** Why a run's tests carry no outcome, in words; undefined when it was graded. */
export function notGradedReason(result: RunResult | undefined): string | undefined {
  if (!result) return 'the run has not finished';
  if (!result.reward)
    return `the run ended ${result.exit_status} and was not graded${result.error ? `: ${result.error}` : ''}`;
  if (!TEST_GROUPS.some((group) => testOutcomes(result.reward?.report, group)))
    return 'the grade names no tests (the patch did not apply, or the tests did not run)';
  return undefined;
}
