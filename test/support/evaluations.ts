/** Evaluations as the reward functions see them, graded by the real rules from a status map. */
import type { EvaluationStatus } from '../../src/core/reward/evaluator';
import { resolutionStatus, testsReport, type ExpectedTests } from '../../src/core/reward/grading';
import { HARNESS_RULES } from '../../src/core/reward/harnessRules';
import type { RewardInput } from '../../src/core/reward/rewardFn';

/** An evaluation ending in `status`; a graded one (resolved, unresolved) carries the harness's report of `outcomes`. */
export function evaluationOf(
  status: EvaluationStatus,
  expected: ExpectedTests,
  outcomes: Record<string, string> = {},
): RewardInput['evaluation'] {
  if (status !== 'resolved' && status !== 'unresolved') return { status };
  const tests = testsReport(new Map(Object.entries(outcomes)), expected, HARNESS_RULES[5], 'pass_and_fail');
  const resolved = resolutionStatus(tests) === 'RESOLVED_FULL';
  if (resolved !== (status === 'resolved'))
    throw new Error(`outcomes ${JSON.stringify(outcomes)} do not make ${status}`);
  return {
    status,
    report: {
      patch_is_None: false,
      patch_exists: true,
      patch_successfully_applied: true,
      resolved,
      infra_failure: false,
      tests_status: tests,
    },
  };
}
