/**
 * Fault schedules on the job queue, Jepsen-style: a batch of two attempts of one example task enqueued on a real
 * redis-server (AOF on, on a socket file) and run by two `rollout worker` processes (real Docker, the OpenAI
 * wire-protocol test double answering by the conversation's length, so a resumed run gets the same answers), while a
 * seeded schedule of faults strikes, each once the batch has recorded a drawn number of its turns:
 * - kill: a worker running a job is SIGKILLed, and a new worker started (its start reaps the dead one's containers);
 * - redis: redis-server is restarted (SIGTERM, the AOF flushed; same socket, same data);
 * - pause: a worker running a job is SIGSTOPped past its job lock until another worker has taken the job over, then
 *   SIGCONTed (it must find its lock gone and write nothing more).
 * Each worker may run the whole batch (`--concurrency 2`), so one that is free takes a lost job over as soon as its
 * lock expires, and a fault may strike both rollouts at once. The workers hold job locks of FAULT_LOCK_SECONDS (`rollout worker --lock-seconds`, renewed every sixth of it as the
 * default 30 s is every 5 s), so that a takeover after a kill or a pause waits seconds, not the default's 30-35 s.
 * Then every job must complete with exactly one trajectory per attempt: one run folder per run id, one log in it,
 * read whole, turns numbered 0, 1, 2 … without a duplicate, ended resolved with reward 1 (a fault scored as the
 * agent's failure, or an `infra_error` left as the end, counts as scored), and no container of any of the schedule's
 * worker processes left once they are all stopped.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import {
  RedisProcess,
  runCli,
  startWorker,
  stopWorker,
  TASKS,
  waitFor,
  type WorkerProcess,
} from '../../integration/queue/queueHarness';
import {
  BATCH_ATTEMPTS,
  BATCH_TURNS,
  containersOf,
  runDirs,
  startModelServer,
  sumOver,
  TASK_ID,
  turnsRecorded,
} from '../support/exampleBatch';

export const FAULT_KINDS = ['kill', 'redis', 'pause'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault and the count of the batch's recorded turns it waits for. */
export interface ScheduledFault {
  kind: FaultKind;
  afterTurns: number;
}

const WORKERS = 2;
const MODEL_ENV = { OPENAI_API_KEY: 'sk-fault-test' };
/** The workers' job lock: a sixth of it (renewal and stalled-job check) still outlasts a loaded machine's stalls. */
const FAULT_LOCK_SECONDS = 10;
/** Long enough for a batch whose every job was taken over after a lost lock, on a loaded machine. */
const BATCH_TIMEOUT_MS = 4 * FAULT_LOCK_SECONDS * 1000 + 180_000;

/** `count` schedules of one to three faults each, in the order they strike, drawn from `seed`. */
export function seededSchedules(count: number, seed: number): ScheduledFault[][] {
  const fault = fc.record({
    kind: fc.constantFrom(...FAULT_KINDS),
    afterTurns: fc.integer({ min: 0, max: BATCH_TURNS - 1 }),
  });
  return fc
    .sample(fc.noBias(fc.array(fault, { minLength: 1, maxLength: 3 })), { seed, numRuns: count })
    .map((faults) => [...faults].sort((a, b) => a.afterTurns - b.afterTurns));
}

/** What one schedule did. */
export interface ScheduleTry {
  schedule: ScheduledFault[];
  /** The faults that struck (one whose turn count the batch never reached before it ended did not). */
  struck: FaultKind[];
  /** Runs resumed from their last finished turn (by the worker that took the job over, or after a Redis restart). */
  resumed: number;
  /**
   * Attempts (run ids) without exactly one whole, finished trajectory, or whose job did not complete: each once,
   * however many of those it shows. A schedule that broke off vouches for none of its attempts.
   */
  runsLost: Set<string>;
  /** Attempts whose trajectory repeats a turn, or run folders beyond one per attempt. */
  duplicates: number;
  /** Attempts that did not end resolved with reward 1 (a fault scored as the agent's, or an `infra_error` end). */
  scored: number;
  /** Containers of the schedule's worker processes left once all of them stopped. */
  orphans: number;
  faults: string[];
  /** Wall-clock seconds the schedule took, set-up and clean-up included. */
  seconds: number;
}

/** Runs the batch under `schedule` and checks what it left. */
export async function runSchedule(schedule: ScheduledFault[]): Promise<ScheduleTry> {
  const started = performance.now();
  const outcome: ScheduleTry = {
    schedule,
    struck: [],
    resumed: 0,
    runsLost: new Set(),
    duplicates: 0,
    scored: 0,
    orphans: 0,
    faults: [],
    seconds: 0,
  };
  const fault = (message: string) => outcome.faults.push(message);
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-queue-'));
  // The worker faults still to strike, in order: once the next one's turn count is reached, the model's answers wait
  // until it has struck (a batch that ran on through a Redis restart due at the same turn could end before it).
  const workerFaults = schedule.filter((scheduled) => scheduled.kind !== 'redis');
  const holding = () => workerFaults.length > 0 && turnsRecorded(outDir) >= workerFaults[0].afterTurns;
  const [server, redis] = await Promise.all([startModelServer(holding), RedisProcess.start()]);
  const workers: WorkerProcess[] = [];
  const startOne = () =>
    workers.push(
      startWorker(
        redis.url,
        ['--concurrency', String(BATCH_ATTEMPTS), '--lock-seconds', String(FAULT_LOCK_SECONDS)],
        MODEL_ENV,
      ),
    );
  // Redis restarted by the schedule: the client waits for it.
  const rollouts = new RolloutQueue(redis.url, { waitForRedis: true });
  const logs = () => workers.map((worker, index) => `--- worker ${index}\n${worker.output().slice(-2000)}`).join('\n');
  let runIds: string[] = [];
  try {
    const args = ['run', '--tasks', TASKS, '--ids', TASK_ID, '--attempts', String(BATCH_ATTEMPTS), '--out', outDir];
    const enqueued = await runCli([...args, '--policy', `openai:scripted@${server.baseURL}`, '--queue', redis.url], {
      ...process.env,
      ...MODEL_ENV,
    });
    runIds = [...enqueued.output.matchAll(/^queued (\S+)$/gm)].map((match) => match[1]);
    if (enqueued.status !== 0 || runIds.length !== BATCH_ATTEMPTS)
      throw new Error(`enqueue failed (exit ${enqueued.status}):\n${enqueued.output}`);
    for (let index = 0; index < WORKERS; index++) startOne();

    const allDone = async () => {
      const status = await queueStatus(rollouts);
      return status.completed + status.failed === runIds.length ? status : undefined;
    };
    for (const scheduled of schedule) {
      const reached = await waitFor(
        `${scheduled.afterTurns} turn(s) or the batch's end`,
        async () => ((await allDone()) ? 'done' : turnsRecorded(outDir) >= scheduled.afterTurns ? 'turns' : undefined),
        BATCH_TIMEOUT_MS,
        logs,
      );
      if (reached === 'done') break;
      if (scheduled.kind === 'redis') {
        await redis.restart();
        outcome.struck.push('redis');
        continue;
      }
      // A worker between jobs (one finished, the other's lock not yet expired) is struck at its next job.
      const holder = await waitFor(
        "a worker running a job, or the batch's end",
        async () => ((await allDone()) ? 'done' : await workerRunningAJob(rollouts, workers)),
        BATCH_TIMEOUT_MS,
        logs,
      );
      if (holder === 'done') break;
      workerFaults.shift();
      outcome.struck.push(scheduled.kind);
      if (scheduled.kind === 'kill') {
        holder.worker.child.kill('SIGKILL');
        await new Promise((resolve) => holder.worker.child.once('exit', resolve));
        startOne();
      } else {
        holder.worker.child.kill('SIGSTOP');
        try {
          await waitFor(
            `another worker to take ${holder.runId} over, or the batch's end`,
            async () =>
              (await allDone()) || workers.some((other) => other !== holder.worker && took(other, holder.runId))
                ? true
                : undefined,
            BATCH_TIMEOUT_MS,
            logs,
          );
        } finally {
          holder.worker.child.kill('SIGCONT');
        }
      }
    }

    const status = await waitFor('every job to complete or fail', allDone, BATCH_TIMEOUT_MS, logs);
    for (const failure of status.failures) {
      fault(`job ${failure.runId} failed: ${failure.reason}`);
      outcome.runsLost.add(failure.runId);
    }
    await checkTrajectories(outDir, runIds, outcome);
  } catch (error) {
    fault(`${error instanceof Error ? error.message : String(error)}`);
    const attempts = runIds.length ? runIds : Array.from({ length: BATCH_ATTEMPTS }, (_, index) => `attempt ${index}`);
    for (const attempt of attempts) outcome.runsLost.add(attempt);
  } finally {
    for (const worker of workers) worker.child.kill('SIGCONT');
    await Promise.all(workers.map(stopWorker));
    for (const worker of workers) outcome.orphans += await containersOf(worker.child.pid as number);
    if (outcome.orphans) fault(`${outcome.orphans} container(s) of the schedule's workers left`);
    await rollouts.close();
    await Promise.all([server.close(), redis.stop()]);
    rmSync(outDir, { recursive: true, force: true });
    rmSync(redis.dir, { recursive: true, force: true });
  }
  outcome.seconds = Math.round((performance.now() - started) / 1000);
  return outcome;
}

/** A worker process that holds an active job now, and that job's run id (BullMQ names the worker in processedBy). */
async function workerRunningAJob(
  rollouts: RolloutQueue,
  workers: WorkerProcess[],
): Promise<{ worker: WorkerProcess; runId: string } | undefined> {
  for (const job of await rollouts.queue.getActive()) {
    // A killed worker's job stays active, in its name, until its lock expires: only a live process counts.
    const worker = workers.find(
      (candidate) =>
        candidate.child.exitCode === null &&
        candidate.child.signalCode === null &&
        job.processedBy?.endsWith(`:${candidate.child.pid}`),
    );
    if (worker && job.id) return { worker, runId: job.id };
  }
  return undefined;
}

/** Whether a worker's log says it started or resumed `runId`. */
function took(worker: WorkerProcess, runId: string): boolean {
  return new RegExp(`^(start |resume) ${runId.replace(/\./g, '\\.')} `, 'm').test(worker.output());
}

/** Exactly one whole, finished, resolved trajectory per attempt, its turns numbered without a gap or a repeat. */
async function checkTrajectories(outDir: string, runIds: string[], outcome: ScheduleTry): Promise<void> {
  const fault = (message: string) => outcome.faults.push(message);
  const extra = runDirs(outDir).filter((runId) => !runIds.includes(runId));
  if (extra.length) fault(`run folders beyond one per attempt: ${extra.join(', ')}`);
  outcome.duplicates += extra.length;
  for (const runId of runIds) {
    const logs = readdirSync(join(outDir, runId)).filter((name) => name.endsWith('.jsonl'));
    if (logs.length !== 1) {
      fault(`${runId}: ${logs.length} logs (${logs.join(', ')})`);
      outcome.duplicates += Math.max(0, logs.length - 1);
    }
    const read = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
    const trajectory = read.trajectory;
    if (!trajectory?.result || read.problems.length || read.tornFinalLine) {
      fault(`${runId}: ${trajectory?.result ? 'finished' : 'unfinished'}, ${read.problems.length} problem(s)`);
      outcome.runsLost.add(runId);
      continue;
    }
    outcome.resumed += trajectory.events.filter((event) => event.kind === 'resumed').length;
    const indices = trajectory.turns.map((turn) => turn.index);
    if (indices.some((index, position) => index !== position)) {
      fault(`${runId}: turns numbered ${indices.join(', ')}`);
      outcome.duplicates++;
    }
    const { exit_status: exitStatus, reward } = trajectory.result;
    if (exitStatus !== 'submitted' || reward?.value !== 1 || reward.resolved !== true) {
      fault(`${runId}: ended ${exitStatus}, reward ${reward?.value ?? null}: ${trajectory.result.error ?? ''}`);
      outcome.scored++;
    }
  }
}

export interface QueueScheduleFigures {
  fault: 'queue_schedules';
  schedules: number;
  struck: Record<FaultKind, number>;
  resumed: number;
  runs_lost: number;
  duplicates: number;
  scored: number;
  orphans: number;
  /** Mean wall-clock seconds per schedule. */
  mean_schedule_seconds: number;
}

export function queueScheduleFigures(tries: ScheduleTry[]): QueueScheduleFigures {
  const sum = (pick: (one: ScheduleTry) => number) => sumOver(tries, pick);
  const struck = (kind: FaultKind) => sum((one) => one.struck.filter((struckKind) => struckKind === kind).length);
  return {
    fault: 'queue_schedules',
    schedules: tries.length,
    struck: { kill: struck('kill'), redis: struck('redis'), pause: struck('pause') },
    resumed: sum((one) => one.resumed),
    runs_lost: sum((one) => one.runsLost.size),
    duplicates: sum((one) => one.duplicates),
    scored: sum((one) => one.scored),
    orphans: sum((one) => one.orphans),
    mean_schedule_seconds: Math.round(sum((one) => one.seconds) / Math.max(tries.length, 1)),
  };
}

/** One line describing a schedule's outcome. */
export function describeSchedule(one: ScheduleTry): string {
  const planned = one.schedule.map((fault) => `${fault.kind}@${fault.afterTurns}`).join(' ');
  const figures = `${one.resumed} resumed, lost ${one.runsLost.size}, ${one.duplicates} duplicate(s), ${one.scored} scored, ${one.orphans} orphan(s)`;
  return `[${planned}] ${one.seconds} s, struck ${one.struck.join(' ') || 'nothing'}: ${figures}${one.faults.length ? `\n  ${one.faults.join('\n  ')}` : ''}`;
}
