import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { LOCK_MS } from '../../../src/core/queue/rolloutWorker';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { containersWithLabel, ownerPidLabel, queueTestBed, runCli, TASKS, waitFor } from './queueHarness';

// Five of the ten bundled tasks (Python, JavaScript and Go) keep the test near two minutes on two cores.
const TASK_IDS = [
  'pagekit__pagekit-14',
  'chronoparse__chronoparse-31',
  'pathnorm__pathnorm-5',
  'quillcsv__quillcsv-19',
  'semverkit__semverkit-7',
];
const ATTEMPTS = 2;
const POLICY = 'recorded:tasks/examples';

const bed = queueTestBed();

interface Outcome {
  exitStatus: string;
  reward: number | null;
}

async function inProcessOutcomes(): Promise<Map<string, Outcome>> {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-inprocess-'));
  const run = await runCli([
    'run',
    '--tasks',
    TASKS,
    '--ids',
    TASK_IDS.join(','),
    '--attempts',
    String(ATTEMPTS),
    '--workers',
    '3',
    '--policy',
    POLICY,
    '--out',
    outDir,
  ]);
  assert.equal(run.status, 0, run.output);
  const { rollouts } = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
    rollouts: Array<{ taskId: string; attempt: number; exitStatus: string; reward: number | null }>;
  };
  return new Map(
    rollouts.map((rollout) => [
      `${rollout.taskId}#${rollout.attempt}`,
      { exitStatus: rollout.exitStatus, reward: rollout.reward },
    ]),
  );
}

test('3 rollout worker processes on a real Redis: a worker killed with SIGKILL mid-rollout and a Redis restart (AOF) lose nothing, every attempt ends with exactly one trajectory and the in-process rewards, no orphan container (real Docker, real processes)', async () => {
  const expected = await inProcessOutcomes();
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-queued-'));
  const { runIds } = await bed.enqueue([
    '--tasks',
    TASKS,
    '--ids',
    TASK_IDS.join(','),
    '--attempts',
    String(ATTEMPTS),
    '--policy',
    POLICY,
    '--out',
    outDir,
  ]);
  assert.equal(runIds.length, TASK_IDS.length * ATTEMPTS);

  for (let index = 0; index < 3; index++) bed.startWorker();
  const logs = () => bed.workers.map((worker, index) => `--- worker ${index}\n${worker.output()}`).join('\n');

  // A worker is killed while one of its rollouts has recorded turns but not finished.
  const victim = await waitFor(
    'a rollout in progress',
    async () => {
      for (const runId of runIds) {
        const path = join(outDir, runId, 'trajectory.jsonl');
        if (!existsSync(path)) continue;
        const { trajectory } = await readTrajectoryLog(path);
        if (!trajectory || trajectory.result || trajectory.turns.length === 0) continue;
        const owner = bed.workers.find((worker) => worker.output().includes(`start  ${runId}`));
        if (owner) return { runId, owner };
      }
      return undefined;
    },
    90_000,
    logs,
  );
  const killedPid = victim.owner.child.pid as number;
  victim.owner.child.kill('SIGKILL');
  await new Promise((resolve) => victim.owner.child.once('exit', resolve));

  await bed.redis.restart();
  // The next worker start removes the containers the killed one left on this host.
  bed.startWorker();

  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const status = await waitFor(
      'every job to finish',
      async () => {
        const current = await queueStatus(rollouts);
        return current.completed + current.failed === runIds.length ? current : undefined;
      },
      LOCK_MS + 300_000,
      logs,
    );
    assert.equal(status.failed, 0, JSON.stringify(status.failures));
    const killedJob = await rollouts.queue.getJob(victim.runId);
    assert.ok(
      killedJob?.returnvalue?.worker && !killedJob.returnvalue.worker.endsWith(`:${killedPid}`),
      "the killed worker's job finished on another worker",
    );
    assert.ok(status.throughput.length >= 2, 'more than one worker completed jobs');
  } finally {
    await rollouts.close();
  }

  const runDirs = readdirSync(outDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  assert.deepEqual(runDirs.sort(), [...runIds].sort(), 'one run folder per attempt, no duplicate');
  for (const runId of runIds) {
    const files = readdirSync(join(outDir, runId)).filter((name) => name.endsWith('.jsonl'));
    assert.deepEqual(files, ['trajectory.jsonl'], `${runId}: exactly one trajectory`);
    const { trajectory, problems } = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
    assert.deepEqual(problems, [], runId);
    assert.ok(trajectory?.result, `${runId} finished`);
    const want = expected.get(`${trajectory.run.task_id}#${trajectory.run.attempt}`);
    assert.deepEqual(
      { exitStatus: trajectory.result.exit_status, reward: trajectory.result.reward?.value ?? null },
      want,
      `${runId}: the same outcome as in-process`,
    );
  }
  const killed = await readTrajectoryLog(join(outDir, victim.runId, 'trajectory.jsonl'));
  assert.ok(
    killed.trajectory?.events.some((event) => event.kind === 'resumed'),
    'the killed rollout was resumed, not started again',
  );
  assert.equal(
    await containersWithLabel(ownerPidLabel, String(killedPid)),
    0,
    'no orphan container of the killed worker',
  );
});
