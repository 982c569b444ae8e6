import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchConfirmation } from '../../../src/extension/commands/batchConfirmation';

const budget = { maxTurns: 50, maxCostUsd: 2, maxTokens: 1_000_000, timeLimitMinutes: 30 };

describe('the confirmation before a batch', () => {
  test('names the rollouts and the most they can cost', () => {
    assert.equal(
      batchConfirmation({ tasks: 54, attempts: 1, workers: 2, model: 'gpt-4o-mini', budget }),
      'Run gpt-4o-mini on 54 tasks (54 rollouts, 2 at a time)? Each stops after 50 turns, 1,000,000 tokens, 30 minutes or once it has spent $2.00: about $108.00 in all at most.',
    );
    assert.match(
      batchConfirmation({ tasks: 3, attempts: 4, workers: 16, model: 'm', budget }),
      /^Run m on 3 tasks × 4 attempts \(12 rollouts, 12 at a time\)\? .*about \$24\.00 in all at most\.$/,
    );
  });

  test('says so when no cost limit bounds it', () => {
    assert.match(
      batchConfirmation({ tasks: 1, attempts: 2, workers: 2, model: 'm', budget: { ...budget, maxCostUsd: 0 } }),
      /^Run m on 1 task × 2 attempts .*no cost limit is set \(rolloutStudio\.budget\.maxCostUsd is 0\), so the cost has no bound\.$/,
    );
  });
});
