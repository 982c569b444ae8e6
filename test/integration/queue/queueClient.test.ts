import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { RedisProcess } from './queueHarness';

test("a queue client whose Redis stops, as `rollout status` and the editor's queue monitor use it: its request fails with the address and the connection's error, it is told once, and ioredis prints no 'Unhandled error event' (real Redis)", async (context) => {
  const redis = await RedisProcess.start();
  const printed: string[] = [];
  context.mock.method(console, 'error', (...parts: unknown[]) => printed.push(parts.map(String).join(' ')));
  const heard: string[] = [];
  const rollouts = await RolloutQueue.open(redis.url, { onConnectionError: (message) => heard.push(message) });
  try {
    assert.equal((await queueStatus(rollouts)).waiting, 0);
    await redis.stop();
    const failure = await queueStatus(rollouts).then(
      () => assert.fail('queueStatus answered without Redis'),
      (error: unknown) => rollouts.explain(error),
    );
    assert.match(failure.message, /^the Redis at unix:\/\/\S+redis\.sock stopped answering \((ENOENT|ECONNREFUSED)\)/);
    assert.ok(heard.length >= 1, 'told of the lost connection');
    assert.ok(
      heard.every((message) => message.startsWith(`the Redis at ${redis.url} does not answer (`)),
      heard.join('\n'),
    );
    assert.equal(new Set(heard).size, heard.length, `told more than once of the same error:\n${heard.join('\n')}`);
    assert.deepEqual(
      printed.filter((line) => /Unhandled error event/.test(line)),
      [],
    );
  } finally {
    await rollouts.close();
    await redis.stop();
  }
});
