/**
 * Fault figures at full size, from a seed printed with them (`BENCH_SEED` to replay one). Parts, all by default
 * or those named as arguments (`node scripts/bench.mjs faults kill`):
 * - fuzz: every input format the project reads (task files, task folders, our run logs, cut logs, the four
 *   imported trajectory formats), 10,000 generated inputs each (`BENCH_FUZZ_RUNS`). Each input must load, or be
 *   refused with an error naming its file and line; the first that breaks this stops the bench with fast-check's
 *   smallest failing input.
 * - kill: the CLI SIGKILLed at a random moment of a two-rollout batch in real Docker, 50 times
 *   (`BENCH_KILL_TRIES`), each run then resumed to the end; turns and runs lost and orphan containers counted.
 * - disk: the output folder on a small tmpfs filled to a random point of a run, 50 times (`BENCH_DISK_TRIES`),
 *   each unfinished run then resumed once space is freed; earlier turns and runs lost and orphan containers counted.
 * - engine: a private Docker engine (its own dockerd) restarted once a two-rollout batch recorded a random number of
 *   its turns, 50 times (`BENCH_ENGINE_TRIES`), the affected attempts then retried; runs scored or lost and orphan
 *   containers counted.
 * - queue: fault schedules on the job queue (a worker SIGKILLed, Redis restarted, a worker SIGSTOPped past its job
 *   lock), one to three faults each at drawn points of a two-rollout batch run by two `rollout worker` processes, 50
 *   schedules (`BENCH_QUEUE_SCHEDULES`), 3 at a time (`BENCH_QUEUE_PARALLEL`; each its own Redis, workers, model
 *   server and folder); runs lost, duplicated or scored and orphan containers counted.
 * - shared: two processes recording 500 runs each (`BENCH_SHARED_RUNS`) into one output folder, then one killed;
 *   runs lost, damaged index lines and misjudged owners counted.
 * The last line is one JSON object.
 */
import { cpus } from 'node:os';
import { fuzzFormat, fuzzFormats, type FuzzFigures } from '../../test/faults/fuzz/inputFormats';
import {
  killAndResume,
  killFigures,
  uninterruptedBatchMs,
  type KillFigures,
  type KillTry,
} from '../../test/faults/kill/cliKill';
import {
  diskFullFigures,
  diskWithOneRun,
  fillDuringRun,
  type DiskFullFigures,
  type DiskFullTry,
} from '../../test/faults/diskFull/diskFull';
import {
  engineRestartFigures,
  engineWithImage,
  restartDuringBatch,
  type EngineRestartFigures,
  type EngineRestartTry,
} from '../../test/faults/engineRestart/engineRestart';
import {
  describeSchedule,
  queueScheduleFigures,
  runSchedule,
  seededSchedules,
  type QueueScheduleFigures,
  type ScheduleTry,
} from '../../test/faults/queue/queueSchedules';
import { twoWriters } from '../../test/faults/sharedFolder/twoWriters';
import { BATCH_TURNS, seededPoints } from '../../test/faults/support/exampleBatch';

const FUZZ_RUNS = Number(process.env.BENCH_FUZZ_RUNS ?? 10_000);
const KILL_TRIES = Number(process.env.BENCH_KILL_TRIES ?? 50);
const DISK_TRIES = Number(process.env.BENCH_DISK_TRIES ?? 50);
const ENGINE_TRIES = Number(process.env.BENCH_ENGINE_TRIES ?? 50);
const QUEUE_SCHEDULES = Number(process.env.BENCH_QUEUE_SCHEDULES ?? 50);
const QUEUE_PARALLEL = Number(process.env.BENCH_QUEUE_PARALLEL ?? 3);
const SHARED_RUNS = Number(process.env.BENCH_SHARED_RUNS ?? 500);
const SEED = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);
const PARTS = ['fuzz', 'kill', 'disk', 'engine', 'queue', 'shared'] as const;

async function fuzzing(): Promise<(FuzzFigures & { seconds: number })[]> {
  const figures: (FuzzFigures & { seconds: number })[] = [];
  for (const format of fuzzFormats()) {
    const started = performance.now();
    const one = await fuzzFormat(format, { runs: FUZZ_RUNS, seed: SEED });
    figures.push({ ...one, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) });
    console.log(
      `${format.name.padEnd(32)} ${one.inputs} inputs: ${one.loaded} loaded, ${one.rejected} refused with a named error, 0 uncaught, 0 hangs`,
    );
  }
  return figures;
}

async function kills(): Promise<KillFigures> {
  const batchMs = await uninterruptedBatchMs();
  console.log(`uninterrupted batch: ${Math.round(batchMs)} ms`);
  const tries: KillTry[] = [];
  for (const moment of seededPoints(KILL_TRIES, SEED, batchMs)) {
    const outcome = await killAndResume(moment);
    tries.push(outcome);
    console.log(
      `killed at ${String(outcome.killedAtMs).padStart(6)} ms: ${outcome.runsStarted} run(s) started, ${outcome.turnsBeforeKill} turn(s) recorded, ${outcome.runsResumed} resumed, lost ${outcome.turnsLost} turn(s) and ${outcome.runsLost} run(s), ${outcome.orphans} orphan(s)${outcome.faults.length ? `\n  ${outcome.faults.join('\n  ')}` : ''}`,
    );
  }
  return killFigures(tries, batchMs);
}

async function diskFull(): Promise<DiskFullFigures> {
  const disk = await diskWithOneRun();
  try {
    console.log(`one run takes ${disk.runBytes} bytes of the disk`);
    const tries: DiskFullTry[] = [];
    for (const [at, free] of seededPoints(DISK_TRIES, SEED, disk.runBytes).map(Math.round).entries()) {
      const outcome = await fillDuringRun(disk.mountPoint, free, at);
      tries.push(outcome);
      console.log(
        `${String(free).padStart(6)} bytes free: ${outcome.ended}, ${outcome.turnsRecorded} turn(s) recorded, ${outcome.runsResumed} resumed, ${outcome.runsFinishedFirst} finished first, lost ${outcome.turnsLost} turn(s) and ${outcome.runsLost} run(s), ${outcome.orphans} orphan(s)${outcome.faults.length ? `\n  ${outcome.faults.join('\n  ')}` : ''}`,
      );
    }
    return diskFullFigures(tries, disk.runBytes);
  } finally {
    disk.unmount();
  }
}

async function engineRestarts(): Promise<EngineRestartFigures> {
  const engine = await engineWithImage();
  try {
    const tries: EngineRestartTry[] = [];
    for (const point of seededPoints(ENGINE_TRIES, SEED, BATCH_TURNS)) {
      const outcome = await restartDuringBatch(engine, Math.floor(point));
      tries.push(outcome);
      console.log(
        `restarted after ${outcome.restartedAfterTurns} turn(s): ${outcome.affected} infra_error(s) retried, ${outcome.scored} scored, ${outcome.runsLost} lost, ${outcome.orphans} orphan(s)${outcome.faults.length ? `\n  ${outcome.faults.join('\n  ')}` : ''}`,
      );
    }
    return engineRestartFigures(tries);
  } finally {
    await engine.stop();
  }
}

async function queueSchedules(): Promise<QueueScheduleFigures & { parallel: number; wall_seconds: number }> {
  const started = performance.now();
  const schedules = seededSchedules(QUEUE_SCHEDULES, SEED);
  const tries: ScheduleTry[] = [];
  let next = 0;
  const lane = async () => {
    while (next < schedules.length) {
      const outcome = await runSchedule(schedules[next++]);
      tries.push(outcome);
      console.log(describeSchedule(outcome));
    }
  };
  await Promise.all(Array.from({ length: Math.min(QUEUE_PARALLEL, schedules.length) }, lane));
  const wallSeconds = Math.round((performance.now() - started) / 1000);
  return { ...queueScheduleFigures(tries), parallel: QUEUE_PARALLEL, wall_seconds: wallSeconds };
}

async function main(): Promise<void> {
  const parts = process.argv.slice(2).length ? process.argv.slice(2) : [...PARTS];
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length) throw new Error(`unknown part(s) ${unknown.join(', ')}: choose from ${PARTS.join(', ')}`);
  const figures: Record<string, unknown> = { seed: SEED, machine: `${cpus().length} cores, ${process.arch}` };
  if (parts.includes('fuzz')) figures.fuzzing = await fuzzing();
  if (parts.includes('kill')) figures.cli_sigkill = await kills();
  if (parts.includes('disk')) figures.disk_full = await diskFull();
  if (parts.includes('engine')) figures.engine_restart = await engineRestarts();
  if (parts.includes('queue')) figures.queue_schedules = await queueSchedules();
  if (parts.includes('shared')) {
    const { faults, ...shared } = await twoWriters(SHARED_RUNS);
    console.log(`two writers: ${shared.runs} runs, ${faults.length ? faults.join('; ') : 'nothing lost'}`);
    figures.two_writers = shared;
  }
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
