import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { LOCK_MS } from '../../../src/core/queue/rolloutWorker';
import { s3Client } from '../../../src/core/queue/s3ResultStore';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { readRunIndex } from '../../../src/core/trajectory/runIndex';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { queueTestBed, runCli, S3Server, TASKS, waitFor } from './queueHarness';

const BUCKET = 'rollouts';
const bed = queueTestBed();
let s3: S3Server;

before(async () => {
  s3 = await S3Server.start();
  // Workers, the CLI and this test's own client all find the store through the AWS SDK's usual settings.
  Object.assign(process.env, s3.env);
  await s3Client().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  await s3.stop();
});

/** The run's log as the bucket holds it now, or undefined before its first copy. */
async function bucketLog(runId: string): Promise<string | undefined> {
  try {
    const object = await s3Client().send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `exp-1/${runId}/trajectory.jsonl` }),
    );
    return await object.Body?.transformToString();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

test('queued runs go to an S3-compatible bucket turn by turn; a worker killed mid-rollout is resumed from the bucket by a worker on another staging folder; `rollout pull` brings the runs home with their index (real Ceph RGW, real Redis, real Docker, real processes, local OpenAI wire-protocol test double)', async () => {
  const model = await ScriptedOpenAIServer.start([
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
    // Held until the worker is killed: the first turn is in the bucket while the model is still thinking.
    step.hold(),
    step.toolCall('submit', {}),
  ]);
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const first = bed.startWorker(['--staging', mkdtempSync(join(tmpdir(), 'rollout-staging-a-'))]);
    const scripted = await bed.enqueue([
      '--tasks',
      TASKS,
      '--ids',
      'pagekit__pagekit-14',
      '--policy',
      `openai:scripted@${model.baseURL}`,
      '--out',
      `s3://${BUCKET}/exp-1`,
    ]);
    assert.match(scripted.output, /trajectories go to s3:\/\/rollouts\/exp-1;/);
    const [killedRun] = scripted.runIds;

    // The first turn reaches the bucket; the copy and the second model call run side by side.
    await waitFor(
      'the first turn in the bucket',
      async () => {
        const lines = (await bucketLog(killedRun))?.split('\n').filter(Boolean) ?? [];
        return lines.some((line) => (JSON.parse(line) as { type: string }).type === 'turn') ? true : undefined;
      },
      60_000,
      first.output,
    );
    // Killed only once the server holds the second request: killed before it, the successor's request would be
    // the one held, and the run would wait forever.
    await waitFor(
      'the second model call',
      async () => (model.completionRequests.length >= 2 ? true : undefined),
      60_000,
      first.output,
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const secondStaging = mkdtempSync(join(tmpdir(), 'rollout-staging-b-'));
    const second = bed.startWorker(['--staging', secondStaging]);
    const replayedRuns = (
      await bed.enqueue([
        '--tasks',
        TASKS,
        '--ids',
        'chronoparse__chronoparse-31',
        '--attempts',
        '2',
        '--policy',
        'recorded:tasks/examples',
        '--out',
        `s3://${BUCKET}/exp-1`,
      ])
    ).runIds;
    await waitFor(
      'every job to finish',
      async () => ((await queueStatus(rollouts)).completed === 3 ? true : undefined),
      LOCK_MS + 120_000,
      second.output,
    );
    assert.match(
      second.output(),
      new RegExp(`resume ${killedRun.replace(/\./g, '\\.')}`),
      'the other worker resumed from what the bucket held',
    );
    const staged = readdirSync(join(secondStaging, BUCKET, 'exp-1'), { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    );
    assert.deepEqual(staged, [], 'a run copied up for good leaves nothing in staging');
    const job = await rollouts.queue.getJob(killedRun);
    assert.equal(job?.returnvalue?.path, `s3://${BUCKET}/exp-1/${killedRun}/trajectory.jsonl`);

    const home = mkdtempSync(join(tmpdir(), 'rollout-pulled-'));
    const pulled = await runCli(['pull', `s3://${BUCKET}/exp-1`, '--out', home]);
    assert.equal(pulled.status, 0, pulled.output);
    const firstPull = /^(\d+) file\(s\) copied \(3 trajectories\), 0 unchanged/m.exec(pulled.output);
    assert.ok(firstPull, pulled.output);
    const killed = await readTrajectoryLog(join(home, killedRun, 'trajectory.jsonl'));
    assert.deepEqual(killed.problems, []);
    assert.equal(killed.trajectory?.result?.exit_status, 'submitted');
    // The killed worker's question to the model died with it; the successor asked again and went on.
    assert.deepEqual(
      killed.trajectory.turns.map((turn) => turn.index),
      killed.trajectory.turns.map((_, index) => index),
    );
    assert.ok(killed.trajectory.turns.length >= 2, 'the turn recorded before the kill was kept');
    assert.equal(killed.trajectory.events.filter((event) => event.kind === 'resumed').length, 1);
    // recorded:DIR gives attempt 0 the task's solved recording and attempt 1 its unsolved one.
    for (const [attempt, runId] of replayedRuns.entries()) {
      const { trajectory } = await readTrajectoryLog(join(home, runId, 'trajectory.jsonl'));
      assert.equal(trajectory?.result?.reward?.value, attempt === 0 ? 1 : 0, `${runId}: scored as in-process`);
      assert.ok(
        existsSync(join(home, runId, 'result.json')),
        `${runId}: the evaluation's files were copied up at the end`,
      );
    }
    const index = await readRunIndex(home);
    assert.deepEqual(index.map((entry) => entry.run_id).sort(), [killedRun, ...replayedRuns].sort());
    assert.ok(index.every((entry) => entry.status !== 'running'));
    const report = JSON.parse(readFileSync(join(home, replayedRuns[0], 'report.json'), 'utf8'));
    assert.equal(Object.values(report as Record<string, { resolved: boolean }>)[0].resolved, true);

    const again = await runCli(['pull', `s3://${BUCKET}/exp-1`, '--out', home]);
    assert.match(
      again.output,
      new RegExp(`^0 file\\(s\\) copied \\(0 trajectories\\), ${firstPull[1]} unchanged`, 'm'),
    );
  } finally {
    await rollouts.close();
    await model.close();
  }
});

test('a bucket that does not exist, or credentials the store refuses, stop `rollout run --queue` before anything is enqueued, with what to do (real Ceph RGW)', async () => {
  const args = [
    'run',
    '--tasks',
    TASKS,
    '--ids',
    'pagekit__pagekit-14',
    '--policy',
    'recorded:tasks/examples',
    '--queue',
    bed.redis.url,
  ];
  const missing = await runCli([...args, '--out', 's3://no-such-bucket/x']);
  assert.equal(missing.status, 1);
  assert.match(missing.output, /s3:\/\/no-such-bucket\/x\/: no such bucket; create it first/);
  const refused = await runCli([...args, '--out', `s3://${BUCKET}/x`], {
    ...process.env,
    AWS_SECRET_ACCESS_KEY: 'not-the-secret',
  });
  assert.equal(refused.status, 1);
  assert.match(
    refused.output,
    /s3:\/\/rollouts\/x\/: the store refused these credentials \((SignatureDoesNotMatch|HTTP 403)\)/,
  );
  const local = await runCli([
    'run',
    '--tasks',
    TASKS,
    '--ids',
    'pagekit__pagekit-14',
    '--policy',
    'recorded:tasks/examples',
    '--out',
    `s3://${BUCKET}/x`,
  ]);
  assert.equal(local.status, 2);
  assert.match(local.output, /--out s3:\/\/rollouts\/x is a bucket: runs go there through --queue workers/);
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    assert.equal((await queueStatus(rollouts)).waiting, 0, 'nothing was enqueued');
  } finally {
    await rollouts.close();
  }
});
