import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { containersWithLabel, queueTestBed, runCli, runIdLabel, stopWorker, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();

/** A copy of a bundled task whose environment names an image no engine has. */
function poisonTasks(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-poison-'));
  const taskDir = join(dir, 'pagekit__pagekit-14');
  cpSync(join(TASKS, 'pagekit__pagekit-14'), taskDir, { recursive: true });
  const task = JSON.parse(readFileSync(join(taskDir, 'task.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(taskDir, 'task.json'),
    JSON.stringify({ ...task, profile: undefined, image: 'rollout-studio/missing-image:poison' }),
  );
  return dir;
}

test('a poison task (its image cannot start) ends as failed with its reason after 3 tries and does not stall the queue (real Redis, real Docker, a real worker process)', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-poison-out-'));
  const [poison] = (
    await bed.enqueue(['--tasks', poisonTasks(), '--policy', 'recorded:tasks/examples', '--out', outDir])
  ).runIds;
  const [healthy] = (
    await bed.enqueue([
      '--tasks',
      TASKS,
      '--ids',
      'pagekit__pagekit-14',
      '--policy',
      'recorded:tasks/examples',
      '--out',
      outDir,
    ])
  ).runIds;
  const worker = bed.startWorker();
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    await waitFor(
      'both jobs to end',
      async () => {
        const status = await queueStatus(rollouts);
        return status.completed === 1 && status.failed === 1 ? status : undefined;
      },
      90_000,
      worker.output,
    );
    const failed = await rollouts.queue.getJob(poison);
    assert.equal(failed?.attemptsMade, 3, 'tried three times');
    assert.match(failed?.failedReason ?? '', /image rollout-studio\/missing-image:poison not found/);
    const failedTries = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith(`failed ${poison} (try `) && line.includes('missing-image:poison not found'));
    assert.equal(failedTries.length, 3, `the worker names each failed try with its reason:\n${worker.output()}`);
    const done = await rollouts.queue.getJob(healthy);
    assert.equal(done?.returnvalue?.reward, 1);
    const status = await runCli(['status', '--queue', bed.redis.url]);
    assert.match(status.output, /failed 1/);
    assert.match(
      status.output,
      new RegExp(
        `${poison.replace(/\./g, '\\.')} \\(pagekit__pagekit-14, attempt 0, 3 tries\\): image rollout-studio/missing-image:poison not found`,
      ),
    );
  } finally {
    await rollouts.close();
    await stopWorker(worker);
  }
});

test('rollout status --cancel drains the waiting jobs and stops the running sandbox; the running rollout ends as cancelled; the same command then runs all three, the cancelled one from its last turn (real Redis, real Docker, a real worker process, local OpenAI wire-protocol test double)', async () => {
  // The model's second answer never comes: the rollout is waiting on it when it is cancelled.
  const model = await ScriptedOpenAIServer.start([
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
    step.hold(),
  ]);
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-cancel-'));
  const rollouts = new RolloutQueue(bed.redis.url);
  const worker = bed.startWorker();
  try {
    const request = [
      '--tasks',
      TASKS,
      '--ids',
      'pagekit__pagekit-14',
      '--attempts',
      '3',
      '--policy',
      `openai:scripted@${model.baseURL}`,
      '--out',
      outDir,
    ];
    const { runIds } = await bed.enqueue(request);
    const running = await waitFor(
      'the first rollout to record a turn',
      async () => {
        for (const runId of runIds) {
          const log = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl')).catch(() => undefined);
          if (log?.trajectory?.turns.length) return runId;
        }
        return undefined;
      },
      60_000,
      worker.output,
    );
    assert.equal(await containersWithLabel(runIdLabel, running), 1, 'its sandbox is running');

    assert.equal((await queueStatus(rollouts)).cancelled, 0);
    const cancel = await runCli(['status', '--queue', bed.redis.url, '--cancel']);
    assert.equal(cancel.status, 0, cancel.output);
    assert.match(cancel.output, /cancelled: 2 waiting job\(s\) removed, 1 running job\(s\) told to stop/);
    await waitFor(
      'the running rollout to end',
      async () => ((await queueStatus(rollouts)).cancelled === 1 ? true : undefined),
      20_000,
      worker.output,
    );
    const { trajectory } = await readTrajectoryLog(join(outDir, running, 'trajectory.jsonl'));
    assert.equal(trajectory?.result?.exit_status, 'cancelled');
    assert.equal(trajectory?.result?.reward, null, 'a cancelled rollout is not scored');
    assert.equal(await containersWithLabel(runIdLabel, running), 0, 'its sandbox was stopped');
    const status = await queueStatus(rollouts);
    assert.equal(status.waiting + status.active + status.delayed, 0);
    const shown = await runCli(['status', '--queue', bed.redis.url]);
    assert.match(shown.output, /  cancelled 1  failed /, 'rollout status counts the cancelled job apart');

    model.push(...runIds.map(() => step.toolCall('submit', { summary: 'done' })));
    const again = await bed.enqueue(request);
    assert.deepEqual(again.runIds, runIds, 'the same command names the same runs');
    assert.match(
      again.output,
      new RegExp(`^tried again ${running.replace(/\./g, '\\.')} \\(it was cancelled\\)$`, 'm'),
    );
    await waitFor(
      'all three rollouts to be submitted',
      async () => {
        const ended = await Promise.all(runIds.map((runId) => rollouts.queue.getJob(runId)));
        return ended.every((job) => job?.returnvalue?.exitStatus === 'submitted') ? true : undefined;
      },
      120_000,
      worker.output,
    );
    const resumed = (await readTrajectoryLog(join(outDir, running, 'trajectory.jsonl'))).trajectory;
    assert.equal(resumed?.turns.length, 2, 'the turn recorded before the cancel, then the submission');
    assert.deepEqual(resumed?.turns[0], trajectory?.turns[0], 'the turn before the cancel is kept as it was');
    const resumedEvent = resumed?.events.find((event) => event.kind === 'resumed');
    assert.deepEqual(resumedEvent?.data?.cancelled, {
      at: trajectory?.result?.ended_at,
      reason: 'cancelled by the user',
    });
    assert.equal(resumed?.result?.exit_status, 'submitted');
  } finally {
    await rollouts.close();
    await stopWorker(worker);
    await model.close();
  }
});
