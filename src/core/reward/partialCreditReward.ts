/**
 * Partial credit: the share of FAIL_TO_PASS tests that pass, minus `breakPenalty` times the share of
 * PASS_TO_PASS tests the patch broke, kept within [0, 1].
 */

import { passShare } from './grading';
import { notScored, type Reward, type RewardFn, type RewardInput } from './rewardFn';

export function partialCreditReward(breakPenalty = 1): RewardFn {
  return {
    name: 'partial-credit',
    compute({ evaluation }: RewardInput): Reward {
      const skipped = notScored(evaluation);
      if (skipped) return skipped;
      const tests = evaluation.report?.tests_status;
      if (!tests) return { value: 0, explanation: `no tests graded (${evaluation.status})` };
      const fixed = passShare(tests.FAIL_TO_PASS);
      const broken = 1 - passShare(tests.PASS_TO_PASS);
      const value = Math.min(1, Math.max(0, fixed - breakPenalty * broken));
      return {
        value,
        explanation: `FAIL_TO_PASS ${tests.FAIL_TO_PASS.success.length}/${tests.FAIL_TO_PASS.success.length + tests.FAIL_TO_PASS.failure.length} pass; PASS_TO_PASS broken ${tests.PASS_TO_PASS.failure.length}`,
      };
    },
  };
}
