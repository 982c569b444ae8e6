import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { containersWithLabel, ownerPidLabel, queueTestBed, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();

test('a worker paused past its job lock (SIGSTOP: a long GC pause or a cut to Redis) is taken over: another worker resumes the run, the paused one writes nothing once it wakes, one trajectory without a duplicate turn (real Redis, real Docker, real processes, local OpenAI wire-protocol test double)', async () => {
  // Slow answers keep the run going while one worker sleeps and the other takes over; spare submits cover
  // whichever worker asks last.
  const model = await ScriptedOpenAIServer.start([
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
    step.toolCall('bash', { command: 'echo one' }, { delayMs: 2_000 }),
    step.toolCall('bash', { command: 'echo two' }, { delayMs: 6_000 }),
    step.toolCall('submit', {}),
    step.toolCall('submit', {}),
    step.toolCall('submit', {}),
  ]);
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-lease-'));
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const paused = bed.startWorker();
    const [runId] = (
      await bed.enqueue([
        '--tasks',
        TASKS,
        '--ids',
        'pagekit__pagekit-14',
        '--policy',
        `openai:scripted@${model.baseURL}`,
        '--out',
        outDir,
      ])
    ).runIds;
    const logPath = join(outDir, runId, 'trajectory.jsonl');
    await waitFor(
      'the first turn',
      async () =>
        (await readTrajectoryLog(logPath).catch(() => undefined))?.trajectory?.turns.length ? true : undefined,
      60_000,
      paused.output,
    );
    paused.child.kill('SIGSTOP');

    const successor = bed.startWorker();
    const logs = () => `--- paused\n${paused.output()}\n--- successor\n${successor.output()}`;
    await waitFor(
      'the other worker to resume the run',
      async () => (successor.output().includes(`resume ${runId}`) ? true : undefined),
      60_000,
      logs,
    );
    paused.child.kill('SIGCONT');

    await waitFor(
      'the woken worker to give the run up',
      async () => (paused.output().includes(`lost   ${runId}`) ? true : undefined),
      30_000,
      logs,
    );
    assert.match(paused.output(), /lost its lock on the job \(another worker holds it now\); stopping without writing/);
    await waitFor(
      'the run to finish',
      async () => ((await queueStatus(rollouts)).completed === 1 ? true : undefined),
      60_000,
      logs,
    );

    const job = await rollouts.queue.getJob(runId);
    assert.ok(
      job?.returnvalue?.worker.endsWith(`:${successor.child.pid}`),
      'the job finished on the worker that took it over',
    );
    const { trajectory, problems } = await readTrajectoryLog(logPath);
    assert.deepEqual(problems, []);
    assert.ok(trajectory?.result, 'the run finished');
    assert.deepEqual(
      trajectory.turns.map((turn) => turn.index),
      trajectory.turns.map((_, index) => index),
      'turn indices run 0, 1, 2 … without a duplicate',
    );
    assert.equal(trajectory.events.filter((event) => event.kind === 'resumed').length, 1);
    assert.equal(trajectory.result.exit_status, 'submitted');
    assert.equal(
      await containersWithLabel(ownerPidLabel, String(paused.child.pid)),
      0,
      'the woken worker removed its sandbox',
    );
  } finally {
    await rollouts.close();
    await model.close();
  }
});
