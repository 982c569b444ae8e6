/**
 * What the job queue costs. The same rollouts (bundled tasks × 2 attempts, replayed reference trajectories,
 * real Docker sandboxes and grading) at a total concurrency of 3:
 * - in-process: runBatch with 3 workers in this process (the baseline, measured before and after the queue runs);
 * - queued: `rollout worker` processes on a local redis-server (AOF on): 1 worker × 3, 2 workers (2 + 1),
 *   3 workers × 1; timed from the enqueue to the last job's completion, workers already started.
 * Throughput ratio queued / in-process (1.0 = free; the target is a queue cost of at most 5 %), and the
 * per-job queue overhead: the round trip of a no-op job through BullMQ on the same Redis (enqueue, take,
 * complete), alone. The last line is one JSON object.
 */
import { Worker } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runBatch } from '../../src/core/agent/batch';
import { createCliSymbolParser } from '../../src/core/agent/codemap/nativeTreeSitterParser';
import { enqueueRollouts, redisConnection, RolloutQueue, rolloutJobs } from '../../src/core/queue/rolloutQueue';
import { dockerEvaluatorOptions } from '../../src/core/reward/dockerEvaluatorOptions';
import { REWARD_FUNCTIONS } from '../../src/core/reward/index';
import { loadTasksStrict } from '../../src/core/task/loadTasks';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TASKS = join(ROOT, 'tasks', 'examples');
const TASK_IDS = (process.env.BENCH_TASKS ?? 'pagekit__pagekit-14,chronoparse__chronoparse-31,pathnorm__pathnorm-5,quillcsv__quillcsv-19,semverkit__semverkit-7').split(',');
const ATTEMPTS = 2;
const CONCURRENCY = 3;
const POLICY = `replay:${TASKS}`;
const NOOP_JOBS = 500;

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--save', '', '--dir', mkdtempSync(join(tmpdir(), 'bench-redis-'))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null) throw new Error(`redis-server did not start:\n${output}`);
    await sleep(20);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function inProcess(): Promise<number> {
  const tasks = (await loadTasksStrict(TASKS)).filter((task) => TASK_IDS.includes(task.id));
  const started = performance.now();
  const { totals } = await runBatch({
    tasks,
    policySpec: POLICY,
    attempts: ATTEMPTS,
    workers: CONCURRENCY,
    outDir: mkdtempSync(join(tmpdir(), 'bench-queue-inprocess-')),
    rewardFn: REWARD_FUNCTIONS.binary(),
    evaluator: await dockerEvaluatorOptions({ runId: 'bench' }),
    symbolParser: createCliSymbolParser(),
  });
  if (totals.infraErrors) throw new Error(`${totals.infraErrors} in-process rollout(s) hit an infrastructure error`);
  return performance.now() - started;
}

/** Starts the workers (one per entry, at that concurrency), waits until they listen, and times the jobs alone. */
async function queued(url: string, concurrencies: number[]): Promise<number> {
  const workers = concurrencies.map((concurrency) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--concurrency', String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  });
  const rollouts = new RolloutQueue(url);
  try {
    while (!workers.every((worker) => worker.output().includes(' on redis://'))) await sleep(20);
    await rollouts.queue.obliterate({ force: true });
    const jobs = rolloutJobs({ taskFile: TASKS, taskIds: TASK_IDS, attempts: ATTEMPTS, policySpec: POLICY, outDir: mkdtempSync(join(tmpdir(), 'bench-queue-')), reward: 'binary', maxTurns: 30 });
    const started = performance.now();
    await enqueueRollouts(rollouts, jobs);
    for (;;) {
      const counts = await rollouts.queue.getJobCounts('completed', 'failed');
      if (counts.failed) throw new Error(`${counts.failed} queued rollout(s) failed`);
      if (counts.completed === jobs.length) break;
      await sleep(25);
    }
    return performance.now() - started;
  } finally {
    await rollouts.close();
    await Promise.all(workers.map((worker) => stopProcess(worker.child)));
  }
}

/** The queue's own cost per job: no-op jobs through the same Redis, one worker, taken one at a time. */
async function noopRoundTripMs(url: string): Promise<number> {
  const rollouts = new RolloutQueue(url);
  const worker = new Worker('noop', async () => undefined, { connection: redisConnection(url), concurrency: 1 });
  await worker.waitUntilReady();
  const { Queue } = await import('bullmq');
  const queue = new Queue('noop', { connection: redisConnection(url) });
  try {
    const started = performance.now();
    for (let index = 0; index < NOOP_JOBS; index++) {
      const job = await queue.add('noop', { index });
      while ((await job.getState()) !== 'completed') await sleep(0);
    }
    return (performance.now() - started) / NOOP_JOBS;
  } finally {
    await worker.close();
    await queue.close();
    await rollouts.close();
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const jobs = TASK_IDS.length * ATTEMPTS;
    // A warm-up so that image layers and clones are cached before anything is timed.
    await queued(redis.url, [CONCURRENCY]);
    const before = await inProcess();
    const layouts: Array<{ workers: number; concurrencies: number[] }> = [
      { workers: 1, concurrencies: [3] },
      { workers: 2, concurrencies: [2, 1] },
      { workers: 3, concurrencies: [1, 1, 1] },
    ];
    const queuedRuns = [];
    for (const layout of layouts) queuedRuns.push({ ...layout, wallMs: await queued(redis.url, layout.concurrencies) });
    const afterMs = await inProcess();
    const baselineMs = (before + afterMs) / 2;
    const perMinute = (wallMs: number) => (jobs / wallMs) * 60_000;
    const perJobOverheadMs = await noopRoundTripMs(redis.url);
    const rows = queuedRuns.map((run) => ({
      workers: run.workers,
      concurrencies: run.concurrencies,
      wallMs: Math.round(run.wallMs),
      rolloutsPerMin: Number(perMinute(run.wallMs).toFixed(2)),
      throughputRatio: Number((baselineMs / run.wallMs).toFixed(3)),
      queueCostPct: Number(((run.wallMs / baselineMs - 1) * 100).toFixed(1)),
      /** The extra wall time spread over the jobs, per concurrency slot: what one job paid for going through the queue. */
      perJobCostMs: Math.round(((run.wallMs - baselineMs) * CONCURRENCY) / jobs),
    }));
    for (const row of rows) console.log(`queued, ${row.workers} worker(s) ${row.concurrencies.join('+')}: ${(row.wallMs / 1000).toFixed(1)} s, ${row.rolloutsPerMin} rollouts/min, ${row.throughputRatio}× in-process (cost ${row.queueCostPct} %)`);
    console.log(`in-process, ${CONCURRENCY} at a time: ${(before / 1000).toFixed(1)} s before, ${(afterMs / 1000).toFixed(1)} s after; no-op job round trip ${perJobOverheadMs.toFixed(2)} ms`);
    console.log(
      JSON.stringify({
        bench: 'queue',
        rollouts: jobs,
        tasks: TASK_IDS.length,
        attempts: ATTEMPTS,
        totalConcurrency: CONCURRENCY,
        inProcess: { wallMsBefore: Math.round(before), wallMsAfter: Math.round(afterMs), rolloutsPerMin: Number(perMinute(baselineMs).toFixed(2)) },
        queued: rows,
        perJobQueueOverheadMs: Number(perJobOverheadMs.toFixed(2)),
        targetQueueCostPct: 5,
        targetMet: rows.every((row) => row.queueCostPct <= 5),
      }),
    );
  } finally {
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
