/** 1 when the task is resolved (every FAIL_TO_PASS and PASS_TO_PASS test passes), else 0. */

import { notScored, type Reward, type RewardFn, type RewardInput } from './rewardFn';

export const binaryReward: RewardFn = {
  name: 'binary',
  compute({ evaluation }: RewardInput): Reward {
    const skipped = notScored(evaluation);
    if (skipped) return skipped;
    const resolved = evaluation.status === 'resolved';
    return { value: resolved ? 1 : 0, explanation: resolved ? 'resolved' : evaluation.status };
  },
};
