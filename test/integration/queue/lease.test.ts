import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCK_MS } from '../../../src/core/queue/rolloutWorker';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { containersWithLabel, ownerPidLabel, queueTestBed, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();

async function turnsIn(logPath: string): Promise<number> {
  return (await readTrajectoryLog(logPath).catch(() => undefined))?.trajectory?.turns.length ?? 0;
}

test('a worker paused for 20 s (SIGSTOP: a starved process, a slow Redis) keeps its job; paused past its job lock it is taken over: another worker resumes the run, the paused one writes nothing once it wakes, one trajectory without a duplicate turn (real Redis, real Docker, real processes, local OpenAI wire-protocol test double)', async () => {
  // Slow answers keep the run going while the other worker starts and the first one sleeps (twice); spare submits
  // cover whichever worker asks last.
  const model = await ScriptedOpenAIServer.start([
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
    step.toolCall('bash', { command: 'echo one' }, { delayMs: 30_000 }),
    step.toolCall('bash', { command: 'echo two' }, { delayMs: 10_000 }),
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
      async () => ((await turnsIn(logPath)) >= 1 ? true : undefined),
      60_000,
      paused.output,
    );
    const successor = bed.startWorker();
    const logs = () => `--- paused\n${paused.output()}\n--- successor\n${successor.output()}`;
    await waitFor(
      'the other worker to start',
      async () => (/^worker /m.test(successor.output()) ? true : undefined),
      60_000,
      logs,
    );

    // A pause a 15 s lock renewed every 7.5 s did not survive, within the 25 s that LOCK_MS and its renewal leave.
    paused.child.kill('SIGSTOP');
    await sleep(20_000);
    paused.child.kill('SIGCONT');
    await waitFor('the second turn', async () => ((await turnsIn(logPath)) >= 2 ? true : undefined), 60_000, logs);
    assert.doesNotMatch(successor.output(), new RegExp(runId.replace(/\./g, '\\.')), 'nobody took the run over');
    assert.doesNotMatch(paused.output(), /lost /, 'the paused worker kept its lock');

    // Past its lock: taken over.
    paused.child.kill('SIGSTOP');
    await waitFor(
      'the other worker to resume the run',
      async () => (successor.output().includes(`resume ${runId}`) ? true : undefined),
      LOCK_MS + 60_000,
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
    await bed.stopWorkers();
    await rollouts.close();
    await model.close();
  }
});

test("a job whose worker loses its lock more often than BullMQ's default limit of stalls is taken over once per lost lock and ends resolved, never failed as stalled: the worker takes its own job back (two slots) and keeps the new try's lock when the old try ends; one trajectory, one resumed event per takeover (real Redis, real Docker, a real worker process SIGSTOPped past a 4 s lock, local OpenAI wire-protocol test double)", async () => {
  const TAKEOVERS = 3;
  // Slow answers keep the run going through every pause; the run ends at the first submit after them.
  const model = await ScriptedOpenAIServer.start([
    ...Array.from({ length: 16 }, (_, index) =>
      step.toolCall('bash', { command: `echo turn ${index}` }, { delayMs: 3_000 }),
    ),
    ...Array.from({ length: 4 }, () => step.toolCall('submit', {})),
  ]);
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-stalls-'));
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const worker = bed.startWorker(['--lock-seconds', '4', '--concurrency', '2']);
    const [runId] = (
      await bed.enqueue([
        ...['--tasks', TASKS, '--ids', 'pagekit__pagekit-14', '--max-turns', '40'],
        ...['--policy', `openai:scripted@${model.baseURL}`, '--out', outDir],
      ])
    ).runIds;
    const logPath = join(outDir, runId, 'trajectory.jsonl');
    await waitFor(
      'this worker to start the run (the only one on the queue)',
      async () => (worker.output().includes(`start  ${runId}`) ? true : undefined),
      60_000,
      worker.output,
    );
    const resumes = () => worker.output().split(`resume ${runId}`).length - 1;
    for (let takeover = 1; takeover <= TAKEOVERS; takeover++) {
      const turns = await turnsIn(logPath);
      await waitFor(
        `a turn before pause ${takeover}`,
        async () => ((await turnsIn(logPath)) > turns ? true : undefined),
        60_000,
        worker.output,
      );
      worker.child.kill('SIGSTOP');
      await sleep(10_000);
      worker.child.kill('SIGCONT');
      await waitFor(
        `takeover ${takeover} (the job back from its stall, resumed)`,
        async () => (resumes() >= takeover ? true : undefined),
        60_000,
        worker.output,
      );
    }
    // Its state alone: the file's other test left a completed job in the same queue.
    const state = await waitFor(
      'the job to end',
      async () => {
        const jobState = await rollouts.queue.getJobState(runId);
        return jobState === 'completed' || jobState === 'failed' ? jobState : undefined;
      },
      120_000,
      worker.output,
    );
    assert.equal(state, 'completed', `${(await rollouts.queue.getJob(runId))?.failedReason}\n${worker.output()}`);
    const { trajectory, problems } = await readTrajectoryLog(logPath);
    assert.deepEqual(problems, []);
    assert.equal(trajectory?.result?.exit_status, 'submitted');
    assert.deepEqual(
      trajectory.turns.map((turn) => turn.index),
      trajectory.turns.map((_, index) => index),
      'turn indices run 0, 1, 2 … without a duplicate',
    );
    assert.equal(resumes(), TAKEOVERS, `a takeover for each lost lock, none more:\n${worker.output()}`);
    assert.equal(trajectory.events.filter((event) => event.kind === 'resumed').length, TAKEOVERS);
  } finally {
    await rollouts.close();
    await model.close();
  }
});
