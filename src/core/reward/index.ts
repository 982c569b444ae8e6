/** Reward functions by name, for commands and configs that pick one. */

import { binaryReward } from './binaryReward';
import { gatedReward } from './gatedReward';
import { partialCreditReward } from './partialCreditReward';
import type { RewardFn } from './rewardFn';

export const REWARD_FUNCTIONS: Record<string, () => RewardFn> = {
  binary: () => binaryReward,
  'partial-credit': () => partialCreditReward(),
  gated: () => gatedReward(),
};
