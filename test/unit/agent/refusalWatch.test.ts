/** RefusalWatch: which refusals stop the next rollouts from starting, and for how long. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyError, type Policy } from '../../../src/core/agent/policies/policy';
import { RefusalWatch } from '../../../src/core/agent/refusalWatch';

function refusingPolicy(error: Error): Policy {
  return {
    info: { backend: 'openai', model: 'scripted-model', parameters: {} },
    next: () => Promise.reject(error),
  } as unknown as Policy;
}

async function refuse(watch: RefusalWatch, error: Error): Promise<void> {
  await assert.rejects(watch.watch(refusingPolicy(error)).next({} as never), error);
}

const WRONG_KEY = new PolicyError('401 Incorrect API key provided: sk-wrong.', 401);

test('a refusal every request would get is remembered; a refusal of one request, or a retryable one, is not', async () => {
  const watch = new RefusalWatch();
  await refuse(watch, new PolicyError('400 Invalid value for messages', 400));
  await refuse(watch, new PolicyError('503 overloaded', 503, true));
  await refuse(watch, new Error('socket hang up'));
  assert.equal(watch.current, undefined);
  await refuse(watch, WRONG_KEY);
  assert.equal(watch.current, WRONG_KEY);
});

test('a watch with a memory forgets the refusal once it has passed, and notes the next one from then on', async () => {
  let now = 1_000;
  const watch = new RefusalWatch(60_000, () => now);
  await refuse(watch, WRONG_KEY);
  now += 59_999;
  assert.equal(watch.current, WRONG_KEY, 'still remembered just before the end');
  const noCredit = new PolicyError('429 insufficient_quota', 429, false, undefined, 'openai-quota');
  await refuse(watch, noCredit);
  assert.equal(watch.current, WRONG_KEY, 'the first refusal is the one kept');
  now += 1;
  assert.equal(watch.current, undefined, 'forgotten: the model is asked again');
  await refuse(watch, noCredit);
  assert.equal(watch.current, noCredit);
  now += 60_000;
  assert.equal(watch.current, undefined);
});
