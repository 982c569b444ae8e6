/**
 * The queue's status as the Runs view polls it: each completed job is read from Redis once while it stays completed,
 * so a poll of a long-lived queue reads only the jobs finished since the last; a cancelled job tried again and
 * completed anew is read anew. Counted with Redis's own command statistics (real Redis, a BullMQ worker that returns
 * results without running rollouts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Worker } from 'bullmq';
import { JOB_OPTIONS, QUEUE_NAME, redisConnection, RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import type { RolloutJobData, RolloutJobResult } from '../../../src/core/queue/rolloutQueue';
import { QueueStatusReader } from '../../../src/core/queue/status';
import { RedisProcess } from './queueHarness';

let redis: RedisProcess;
let rollouts: RolloutQueue;
let worker: Worker<RolloutJobData, RolloutJobResult>;
/** The exit status each job's run ends with, by run id. */
const endings = new Map<string, RolloutJobResult['exitStatus']>();

before(async () => {
  redis = await RedisProcess.start();
  rollouts = await RolloutQueue.open(redis.url);
  worker = new Worker<RolloutJobData, RolloutJobResult>(
    QUEUE_NAME,
    async (job) => {
      if (job.data.taskId === 'broken') throw new Error('the task file is gone');
      return { ...summary(job.data), exitStatus: endings.get(job.data.runId) ?? 'submitted', worker: 'w1' };
    },
    { connection: { ...redisConnection(redis.url), maxRetriesPerRequest: null } },
  );
});

after(async () => {
  await worker.close();
  await rollouts.close();
  await redis.stop();
});

function summary(data: RolloutJobData): Omit<RolloutJobResult, 'exitStatus' | 'worker'> {
  return {
    runId: data.runId,
    taskId: data.taskId,
    attempt: data.attempt,
    resolved: true,
    reward: 1,
    turns: 1,
    tokens: 10,
    durationMs: 5,
    path: '',
  };
}

/** Adds jobs and waits until the queue holds `completedTotal` completed ones. */
async function complete(runIds: string[], completedTotal: number): Promise<void> {
  for (const runId of runIds) {
    const data = { runId, taskId: 'pagekit__pagekit-14', attempt: 0, policySpec: 'scripted' } as RolloutJobData;
    await rollouts.queue.add('rollout', data, { ...JOB_OPTIONS, jobId: runId });
  }
  const deadline = Date.now() + 30_000;
  while ((await rollouts.queue.getCompletedCount()) < completedTotal) {
    if (Date.now() > deadline) assert.fail(`the worker did not complete ${completedTotal} jobs`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many job hashes Redis has been asked for so far (HGETALL, as BullMQ reads a job). */
async function jobReads(): Promise<number> {
  const stats = await rollouts.redis.info('commandstats');
  return Number(/cmdstat_hgetall:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

test('a poll reads only the jobs completed since the last; the counts and the throughput stay whole', async () => {
  const reader = new QueueStatusReader(rollouts);
  endings.set('run-3', 'cancelled');
  await complete(['run-1', 'run-2', 'run-3'], 3);
  const first = await reader.read();
  assert.deepEqual([first.completed, first.cancelled], [2, 1]);
  assert.deepEqual(
    first.throughput.map((row) => [row.worker, row.completed]),
    [['w1', 2]],
  );

  await complete(['run-4'], 4);
  const before = await jobReads();
  const second = await reader.read();
  assert.equal((await jobReads()) - before, 1, 'only the job completed since the first poll was read');
  assert.deepEqual([second.completed, second.cancelled], [3, 1]);
  assert.deepEqual(
    second.throughput.map((row) => [row.worker, row.completed]),
    [['w1', 3]],
  );

  const unchanged = await jobReads();
  await reader.read();
  assert.equal((await jobReads()) - unchanged, 0, 'nothing new, nothing read');
});

test('a failed job is read once too: a poll with no new failure reads no job, and still names the failure', async () => {
  const data = { runId: 'run-broken', taskId: 'broken', attempt: 0, policySpec: 'scripted' } as RolloutJobData;
  await rollouts.queue.add('rollout', data, { ...JOB_OPTIONS, attempts: 1, jobId: data.runId });
  const deadline = Date.now() + 30_000;
  while ((await rollouts.queue.getFailedCount()) < 1) {
    if (Date.now() > deadline) assert.fail('the job did not fail');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const reader = new QueueStatusReader(rollouts);
  const first = await reader.read();
  const before = await jobReads();
  const second = await reader.read();
  assert.equal((await jobReads()) - before, 0, 'nothing finished since the first poll, nothing read');
  for (const status of [first, second])
    assert.deepEqual(
      status.failures.map((failure) => [failure.runId, failure.reason]),
      [['run-broken', 'the task file is gone']],
    );
});

test('a cancelled job tried again and completed anew is read anew: it counts as done, no longer as cancelled', async () => {
  const reader = new QueueStatusReader(rollouts);
  assert.equal((await reader.read()).cancelled, 1);
  endings.set('run-3', 'submitted');
  const job = await rollouts.queue.getJob('run-3');
  assert.ok(job);
  await job.retry('completed');
  const deadline = Date.now() + 30_000;
  while ((await rollouts.queue.getJob('run-3'))?.returnvalue?.exitStatus !== 'submitted') {
    if (Date.now() > deadline) assert.fail('the worker did not complete run-3 again');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const status = await reader.read();
  assert.deepEqual([status.completed, status.cancelled], [4, 0]);
});
