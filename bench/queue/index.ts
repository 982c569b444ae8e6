/**
 * What the job queue costs. The same rollouts (bundled tasks × 2 attempts, the reference trajectories re-issued,
 * real Docker sandboxes and grading) at a total concurrency of 3:
 * - in-process: runBatch with 3 workers in this process (the baseline), timed from loading the tasks;
 * - queued: `rollout worker` processes on a local redis-server (AOF on): 1 worker × 3, 2 workers (2 + 1),
 *   3 workers × 1, each layout on its own Redis database; timed from the enqueue to the last job's end.
 * Workers are long-lived, as in a deployment: every layout's processes start once, and a first, untimed run of
 * each (and of the baseline) warms caches and the JIT; its figures are printed apart. The layouts and the
 * baseline then take turns for several rounds, and each figure is the median of its rounds: on two shared
 * cores one run of ~20 s swings by 10 %, more than the queue costs. Reported: the throughput
 * ratio queued / in-process (1.0 = free; the target is a queue cost of at most 5 %), the CPU time the
 * processes spent per rollout (queue processes against this one: what the queue adds, whatever the noise),
 * and the per-job queue overhead: the round trip of a no-op job through BullMQ on the same Redis, alone.
 * The last line is one JSON object.
 */
import { Worker } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runBatch } from '../../src/core/agent/batch';
import { createCliSymbolParser } from '../../src/core/agent/codemap/nativeTreeSitterParser';
import { enqueueRollouts, redisConnection, RolloutQueue, rolloutJobs } from '../../src/core/queue/rolloutQueue';
import { dockerEvaluatorOptions } from '../../src/core/reward/dockerEvaluatorOptions';
import { loadTasksStrict } from '../../src/core/task/loadTasks';
import { startServerOnFreePort } from '../../test/support/serverOnFreePort';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TASKS = join(ROOT, 'tasks', 'examples');
// All ten bundled tasks by default: with fewer, when the longest rollout happens to start decides the wall time.
const TASK_IDS = process.env.BENCH_TASKS?.split(',');
const ATTEMPTS = 2;
const CONCURRENCY = 3;
const POLICY = `recorded:${TASKS}`;
const NOOP_JOBS = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLOCK_TICKS_PER_S = 100;

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const redis = await startServerOnFreePort({
    name: 'redis-server',
    command: 'redis-server',
    args: (port) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--save',
      '',
      '--dir',
      dataDir,
    ],
    listening: (port) => new RegExp(`port=${port}\\b[^]*Ready to accept connections`),
  });
  return { url: `redis://127.0.0.1:${redis.port}`, stop: () => stopProcess(redis.child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Timed {
  wallMs: number;
  /** CPU time (user + system) of the Node processes that ran the rollouts; containers and Redis excluded. */
  cpuMs: number;
  /** Queued only: per job, the worker's time around the rollout (taking the job, reading the record, completing it). */
  aroundRolloutMs?: number[];
}

async function inProcess(): Promise<Timed> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const tasks = (await loadTasksStrict(TASKS)).filter((task) => !TASK_IDS || TASK_IDS.includes(task.id));
  const { totals } = await runBatch({
    tasks,
    policySpec: POLICY,
    attempts: ATTEMPTS,
    workers: CONCURRENCY,
    outDir: mkdtempSync(join(tmpdir(), 'bench-queue-inprocess-')),
    protocol: { reward: 'binary' },
    evaluator: await dockerEvaluatorOptions({ runId: 'bench' }),
    symbolParser: createCliSymbolParser(),
  });
  const infraErrors = totals.unscored?.infra_error;
  if (infraErrors) throw new Error(`${infraErrors} in-process rollout(s) hit an infrastructure error`);
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** utime + stime of a live process, from /proc. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

interface Layout {
  workers: number;
  concurrencies: number[];
}

/** A layout's worker processes, started once and kept, on their own Redis database so layouts never share jobs. */
interface Fleet {
  layout: Layout;
  url: string;
  children: ChildProcess[];
}

async function startFleet(redisUrl: string, layout: Layout, db: number): Promise<Fleet> {
  const url = `${redisUrl}/${db}`;
  const workers = layout.concurrencies.map((concurrency) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--concurrency', String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  });
  while (!workers.every((worker) => worker.output().includes(' on redis://'))) await sleep(20);
  return { layout, url, children: workers.map((worker) => worker.child) };
}

/** Enqueues the rollouts on the fleet's queue and times them from the enqueue to the last job's end. */
async function queued(fleet: Fleet): Promise<Timed> {
  const rollouts = new RolloutQueue(fleet.url);
  try {
    await rollouts.queue.obliterate({ force: true });
    const jobs = rolloutJobs({
      taskFile: TASKS,
      taskIds: await taskIds(),
      attempts: ATTEMPTS,
      policySpec: POLICY,
      outDir: mkdtempSync(join(tmpdir(), 'bench-queue-')),
      protocol: { reward: 'binary' },
      maxTurns: 30,
    });
    const cpuBefore = fleet.children.map((child) => processCpuMs(child.pid as number));
    const started = performance.now();
    await enqueueRollouts(rollouts, jobs);
    for (;;) {
      const counts = await rollouts.queue.getJobCounts('completed', 'failed');
      if (counts.failed) throw new Error(`${counts.failed} queued rollout(s) failed`);
      if (counts.completed === jobs.length) break;
      await sleep(25);
    }
    const wallMs = performance.now() - started;
    const cpuMs = fleet.children.reduce(
      (sum, child, index) => sum + processCpuMs(child.pid as number) - cpuBefore[index],
      0,
    );
    const done = await rollouts.queue.getJobs(['completed']);
    const aroundRolloutMs = done.map(
      (job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0) - (job.returnvalue?.durationMs ?? 0),
    );
    return { wallMs, cpuMs, aroundRolloutMs };
  } finally {
    await rollouts.close();
  }
}

async function taskIds(): Promise<string[]> {
  return TASK_IDS ?? (await loadTasksStrict(TASKS)).map((task) => task.id);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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

const LAYOUTS: Layout[] = [
  { workers: 1, concurrencies: [3] },
  { workers: 2, concurrencies: [2, 1] },
  { workers: 3, concurrencies: [1, 1, 1] },
];

async function main(): Promise<void> {
  const redis = await startRedis();
  const fleets: Fleet[] = [];
  try {
    const tasks = (await taskIds()).length;
    const jobs = tasks * ATTEMPTS;
    for (const [index, layout] of LAYOUTS.entries()) fleets.push(await startFleet(redis.url, layout, index + 1));
    // The first run of each warms image layers, checkouts and the JIT of its processes; it is reported, not compared.
    const inProcessFirst = await inProcess();
    const fleetFirst: Timed[] = [];
    for (const fleet of fleets) fleetFirst.push(await queued(fleet));
    const baseline: Timed[] = [];
    const fleetRuns: Timed[][] = fleets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      baseline.push(await inProcess());
      for (const [index, fleet] of fleets.entries()) fleetRuns[index].push(await queued(fleet));
    }
    const baselineMs = median(baseline.map((run) => run.wallMs));
    const baselineCpuMs = median(baseline.map((run) => run.cpuMs));
    const perMinute = (wallMs: number) => (jobs / wallMs) * 60_000;
    const perJobOverheadMs = await noopRoundTripMs(redis.url);
    const rows = fleets.map(({ layout }, index) => {
      const wallMs = median(fleetRuns[index].map((run) => run.wallMs));
      const cpuMs = median(fleetRuns[index].map((run) => run.cpuMs));
      return {
        workers: layout.workers,
        concurrencies: layout.concurrencies,
        wallMs: Math.round(wallMs),
        wallMsRounds: fleetRuns[index].map((run) => Math.round(run.wallMs)),
        rolloutsPerMin: Number(perMinute(wallMs).toFixed(2)),
        throughputRatio: Number((baselineMs / wallMs).toFixed(3)),
        queueCostPct: Number(((wallMs / baselineMs - 1) * 100).toFixed(1)),
        cpuMsPerRollout: Math.round(cpuMs / jobs),
        cpuRatioVsInProcess: Number((cpuMs / baselineCpuMs).toFixed(3)),
        aroundRolloutMsP50: Math.round(median(fleetRuns[index].flatMap((run) => run.aroundRolloutMs ?? []))),
        firstRun: {
          wallMs: Math.round(fleetFirst[index].wallMs),
          cpuMsPerRollout: Math.round(fleetFirst[index].cpuMs / jobs),
        },
      };
    });
    for (const row of rows)
      console.log(
        `queued, ${row.workers} worker(s) ${row.concurrencies.join('+')}: median ${(row.wallMs / 1000).toFixed(1)} s (rounds ${row.wallMsRounds.map((ms) => (ms / 1000).toFixed(1)).join(', ')}), ${row.rolloutsPerMin} rollouts/min, ${row.throughputRatio}× in-process (cost ${row.queueCostPct} %); worker CPU ${row.cpuMsPerRollout} ms per rollout, ${row.cpuRatioVsInProcess}× in-process; ${row.aroundRolloutMsP50} ms per job around the rollout; first run ${(row.firstRun.wallMs / 1000).toFixed(1)} s, ${row.firstRun.cpuMsPerRollout} ms CPU per rollout`,
      );
    console.log(
      `in-process, ${CONCURRENCY} at a time: median ${(baselineMs / 1000).toFixed(1)} s (rounds ${baseline.map((run) => (run.wallMs / 1000).toFixed(1)).join(', ')}), CPU ${Math.round(baselineCpuMs / jobs)} ms per rollout; first run ${(inProcessFirst.wallMs / 1000).toFixed(1)} s; no-op job round trip ${perJobOverheadMs.toFixed(2)} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'queue',
        rollouts: jobs,
        tasks,
        attempts: ATTEMPTS,
        totalConcurrency: CONCURRENCY,
        rounds: ROUNDS,
        inProcess: {
          wallMs: Math.round(baselineMs),
          wallMsRounds: baseline.map((run) => Math.round(run.wallMs)),
          rolloutsPerMin: Number(perMinute(baselineMs).toFixed(2)),
          cpuMsPerRollout: Math.round(baselineCpuMs / jobs),
          firstRunWallMs: Math.round(inProcessFirst.wallMs),
        },
        queued: rows,
        perJobQueueOverheadMs: Number(perJobOverheadMs.toFixed(2)),
        targetQueueCostPct: 5,
        targetMet: rows.every((row) => row.queueCostPct <= 5),
      }),
    );
  } finally {
    await Promise.all(fleets.flatMap((fleet) => fleet.children.map(stopProcess)));
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
