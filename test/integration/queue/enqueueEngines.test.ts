import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { enqueueRollouts, RolloutQueue, rolloutJobs } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { queueTestBed, runCli, stopWorker, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();

test('enqueuing the same run ids again adds nothing, and one worker drives two Docker engine addresses in turn (real Redis, real Docker, a real worker process)', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-engines-'));
  const jobs = rolloutJobs({
    taskFile: TASKS,
    taskIds: ['pagekit__pagekit-14'],
    attempts: 2,
    policySpec: 'recorded:tasks/examples',
    outDir,
    protocol: { reward: 'binary' },
    maxTurns: 30,
  });
  const rollouts = new RolloutQueue(bed.redis.url);
  // The same engine under a second address: every sandbox of a rollout (agent, then grader) alternates between them.
  const secondAddress = join(mkdtempSync(join(tmpdir(), 'rollout-engine-')), 'docker.sock');
  symlinkSync('/var/run/docker.sock', secondAddress);
  const worker = bed.startWorker([
    '--concurrency',
    '2',
    '--docker-host',
    'unix:///var/run/docker.sock',
    '--docker-host',
    `unix://${secondAddress}`,
  ]);
  try {
    await enqueueRollouts(rollouts, jobs);
    await enqueueRollouts(rollouts, jobs);
    assert.equal(await queuedJobs(rollouts), 2, 'two jobs, not four');
    await waitFor(
      'both jobs to finish',
      async () => ((await queueStatus(rollouts)).completed === 2 ? true : undefined),
      90_000,
      worker.output,
    );
    const rewards = await Promise.all(
      jobs.map(
        async (job) =>
          (await readTrajectoryLog(join(outDir, job.runId, 'trajectory.jsonl'))).trajectory?.result?.reward?.value,
      ),
    );
    assert.deepEqual(rewards, [1, 0], 'the solved and the unsolved reference, graded');
    await enqueueRollouts(rollouts, jobs);
    assert.equal((await queueStatus(rollouts)).completed, 2, 'a finished job is not enqueued again');
  } finally {
    await rollouts.close();
    await stopWorker(worker);
  }
});

test('the same `rollout run --queue` given twice enqueues nothing new; another policy enqueues its own runs (real Redis, the CLI)', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-requeue-'));
  const args = ['--tasks', TASKS, '--policy', 'recorded:tasks/examples', '--attempts', '2', '--out', outDir];
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const before = await queuedJobs(rollouts);
    const first = await bed.enqueue(args);
    const second = await bed.enqueue(args);
    assert.ok(first.runIds.length >= 2);
    assert.deepEqual(second.runIds, first.runIds, 'the same run ids');
    assert.equal(await queuedJobs(rollouts), before + first.runIds.length, 'each job once');
    const other = await bed.enqueue([...args.slice(0, 2), '--policy', 'openai:gpt-4o', ...args.slice(4)]);
    assert.equal(other.runIds.filter((runId) => first.runIds.includes(runId)).length, 0);
    assert.equal(await queuedJobs(rollouts), before + 2 * first.runIds.length);
  } finally {
    await rollouts.close();
  }
});

async function queuedJobs(rollouts: RolloutQueue): Promise<number> {
  const counts = await rollouts.queue.getJobCounts(
    'waiting',
    'active',
    'completed',
    'failed',
    'delayed',
    'prioritized',
  );
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

test('rollout status against a port where no Redis answers fails at once, naming --queue and the address (a real closed loopback port)', async () => {
  const result = await runCli(['status', '--queue', 'redis://127.0.0.1:1']);
  assert.equal(result.status, 1);
  assert.match(result.output, /--queue: no Redis answers at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
});
