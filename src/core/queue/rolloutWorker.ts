/**
 * A queue worker: takes rollout jobs, runs each with runRollout in its own sandboxes, and writes the record
 * to the result store the job names (a shared folder or an S3-compatible bucket). A retried job (its worker killed, its lock lost) picks up the same
 * run id: it resumes an unfinished record, returns a finished one as it is, and restarts one the machinery broke.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { version } from '../../../package.json';
import { NOT_STARTED_REASON, policyResolver, unrecorded } from '../agent/batch';
import type { SymbolParser } from '../agent/codemap/parser';
import type { Policy } from '../agent/policies/policy';
import { checkProtocolPolicies, protocolFor } from '../agent/protocols/index';
import { RefusalWatch, refusedBeforeStart } from '../agent/refusalWatch';
import { runRollout, type RolloutSummary } from '../agent/rollout';
import { createDefaultToolbox } from '../agent/tools/toolbox';
import { dockerEvaluatorOptions } from '../reward/dockerEvaluatorOptions';
import { dockerClient, explainEngineError } from '../sandbox/engine';
import { reapOrphans } from '../sandbox/reaper';
import { InfrastructureError } from '../sandbox/sandbox';
import { loadTasksStrict } from '../task/loadTasks';
import type { Task } from '../task/task';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../trajectory/reader';
import { isResumable, LeaseLostError } from '../trajectory/recorder';
import { roundRobinSandboxes } from './engines';
import { openResultStore, type ResultStore } from './resultStore';
import {
  QUEUE_NAME,
  queuedAt,
  RolloutQueue,
  redisConnection,
  type RolloutJobData,
  type RolloutJobResult,
} from './rolloutQueue';

/**
 * A job's lock, by default. The worker renews it while its event loop runs, every sixth of the lock (keepLock); a
 * lock not renewed for its whole time expires, and the next stalled-job check of any worker (also every sixth of
 * the lock) gives the job to another. With 30 s, a live worker keeps its jobs through a stall of its
 * process or of Redis of up to 25 s, however long a turn runs. BullMQ's default for a 15 s lock, a renewal every
 * 7.5 s, lost jobs to a stall of 7.5 s: in reach of a swapping or heavily loaded machine. A dead worker's jobs are
 * taken over after 30-35 s, little beside rollouts of minutes; a worker that does lose a lock writes nothing more
 * (lockCheck).
 */
export const LOCK_MS = 30_000;
/**
 * How often a job may lose its lock before BullMQ fails it: never, in effect. A stall is the machine's doing (a
 * starved or paused worker, a slow Redis), not the job's, and taking a job over is always safe, since a worker
 * that lost its lock writes nothing more. BullMQ's limit (1 by default) fails the job outright, whatever its
 * attempts, and the same run enqueued again adds nothing: the run would stay unfinished for good.
 */
const STALLS_BEFORE_FAILURE = Number.MAX_SAFE_INTEGER;
const CANCEL_POLL_MS = 1_000;
/**
 * How long a worker's policy, once its model refused a request as it would refuse every one (a wrong key, a model
 * not served, no credit left), fails the tries of its jobs at once: no container, no request. A worker outlives
 * the fix (credit bought, a model loaded), so it asks the model again after this.
 */
export const REFUSAL_MEMORY_MS = 5 * 60_000;

export interface RolloutWorkerOptions {
  url: string;
  concurrency: number;
  /** Docker engines to start sandboxes on, in turn; DOCKER_HOST or the local socket when empty. */
  dockerHosts?: string[];
  /** Where this machine mounts the shared folder, when not at the path the job names. */
  outDir?: string;
  /** Where runs bound for a bucket are written before they are copied up (default: the temp folder). */
  stagingDir?: string;
  symbolParser?: SymbolParser;
  /** How long a job's lock lasts without renewal (default LOCK_MS): a dead worker's jobs are taken over after it. */
  lockMs?: number;
  log?: (line: string) => void;
}

export interface RolloutWorker {
  readonly name: string;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

export async function startRolloutWorker(options: RolloutWorkerOptions): Promise<RolloutWorker> {
  const log = options.log ?? (() => undefined);
  const name = `${hostname()}:${process.pid}`;
  const lockMs = options.lockMs ?? LOCK_MS;
  const engines = options.dockerHosts?.length ? options.dockerHosts : [undefined];
  const rollouts = await RolloutQueue.open(options.url, {
    onConnectionError: (message) => log(`queue: ${message}`),
    waitForRedis: true,
  });
  // The containers a killed worker on this host left behind go before this one starts its own.
  for (const engine of engines)
    await reapOrphans(dockerClient(engine)).catch((error: unknown) =>
      Promise.reject(explainEngineError(error, undefined, engine)),
    );
  // By try (its lock token), not by job: a worker may take over its own stalled job while the old try still runs.
  const running = new Map<
    string,
    { runId: string; queuedAt: number; abort: AbortController; ended: Promise<unknown> }
  >();
  const context: JobContext = {
    options,
    name,
    lockMs,
    log,
    rollouts,
    stores: new Map(),
    tasks: new Map(),
    policies: new Map(),
    createSandbox: roundRobinSandboxes(engines),
  };
  const worker = new Worker<RolloutJobData, RolloutJobResult>(
    QUEUE_NAME,
    async (job, token) => {
      const tryKey = token ?? String(job.id);
      const abort = new AbortController();
      const stopKeepingLock = keepLock(job, token, lockMs);
      const rollout = (async () => {
        if ((await rollouts.cancelledAt()) >= queuedAt(job)) return cancelledBeforeStart(job.data, name);
        return await processJob(job, token, context, abort.signal);
      })().catch((error: unknown) => {
        log(tryEndedWithoutResult(job, error));
        throw error;
      });
      const ended = rollout.catch(() => undefined);
      running.set(tryKey, { runId: job.data.runId, queuedAt: queuedAt(job), abort, ended });
      try {
        return await rollout;
      } finally {
        stopKeepingLock();
        running.delete(tryKey);
      }
    },
    {
      connection: redisConnection(options.url),
      concurrency: options.concurrency,
      name,
      lockDuration: lockMs,
      skipLockRenewal: true,
      stalledInterval: renewalInterval(lockMs),
      maxStalledCount: STALLS_BEFORE_FAILURE,
    },
  );
  worker.on('error', (error) => log(`queue: ${error.message}`));
  const watch = setInterval(() => {
    rollouts
      .cancelledAt()
      .then((cancelledAt) => {
        for (const job of running.values()) {
          if (job.queuedAt <= cancelledAt && !job.abort.signal.aborted) {
            log(`cancel ${job.runId}`);
            job.abort.abort();
          }
        }
      })
      .catch(() => undefined);
  }, CANCEL_POLL_MS);
  await worker.waitUntilReady();
  return {
    name,
    async close() {
      clearInterval(watch);
      const closing = worker.close();
      // The rollouts end whether Redis answers or not, each removing its sandboxes: one cut off from Redis stops at
      // its next recorded line, within the lock's time (lockCheck).
      await Promise.all([...running.values()].map((job) => job.ended));
      // BullMQ records their end in Redis. Gone, it waits for Redis forever: the worker leaves that record to the
      // lock's expiry instead, and the worker that takes a job up then returns its record or resumes it.
      if ((await withTimeout(closing, lockMs)) === TIMED_OUT)
        log(
          `queue: Redis did not answer for ${lockMs / 1000} s; the jobs' locks will expire and other workers take them up`,
        );
      await withTimeout(rollouts.close(), lockMs);
    },
  };
}

interface JobContext {
  options: RolloutWorkerOptions;
  name: string;
  lockMs: number;
  log: (line: string) => void;
  rollouts: RolloutQueue;
  stores: Map<string, ResultStore>;
  tasks: Map<string, Promise<Task[]>>;
  policies: Map<
    string,
    { resolver: Promise<(task: Task, attempt: number) => Promise<Policy>>; refusals: RefusalWatch }
  >;
  createSandbox: ReturnType<typeof roundRobinSandboxes>;
}

async function processJob(
  job: Job<RolloutJobData, RolloutJobResult>,
  token: string | undefined,
  context: JobContext,
  signal: AbortSignal,
): Promise<RolloutJobResult> {
  const data = job.data;
  const store = resultStoreFor(context, context.options.outDir ?? data.outDir);
  const previous = await previousRecord(store, data.runId);
  if (previous.kind === 'finished') {
    context.log(`done   ${data.runId} (already recorded)`);
    return { ...previous.summary, worker: context.name, fromRecord: true };
  }
  const task = await findTask(context, data);
  await checkProtocol(task, data);
  const policy = await policyFor(context, data, task);
  const resume = previous.kind === 'resumable';
  const evaluator = {
    ...(await dockerEvaluatorOptions({
      reposDir: data.reposDir,
      specsFile: data.specsFile,
      instanceImages: data.instanceImages,
      runId: data.runId,
    })),
    createSandbox: context.createSandbox,
  };
  context.log(`${resume ? 'resume' : 'start '} ${data.runId} (try ${job.attemptsMade + 1})`);
  const summary = await runRollout({
    task,
    attempt: data.attempt,
    runId: data.runId,
    policy,
    policySpec: data.policySpec,
    toolbox: createDefaultToolbox({ symbolParser: context.options.symbolParser }),
    protocol: data.protocol,
    resume,
    outDir: store.localDir,
    config: { maxTurns: data.maxTurns, ...(data.compaction ? { compaction: data.compaction } : {}) },
    evaluator,
    createSandbox: context.createSandbox,
    toolVersions: { 'rollout-studio': version },
    recordHooks: {
      beforeWrite: lockCheck(context.rollouts, job, token, context.lockMs),
      // A store that cannot take the log is the machinery failing: the try ends and a retry resumes from the store.
      afterWrite: () =>
        store
          .pushFile(data.runId, TRAJECTORY_FILE)
          .catch((error: unknown) => Promise.reject(new InfrastructureError((error as Error).message))),
    },
    signal,
  });
  await store.pushRun(data.runId);
  // A record the machinery broke is not a result: the job fails, and its retry restarts the run id.
  if (summary.exitStatus === 'infra_error') throw new Error(summary.reason ?? 'infrastructure error');
  context.log(
    `done   ${data.runId}: ${summary.exitStatus}${summary.reward === null ? '' : `, reward ${summary.reward}`}`,
  );
  return { ...summary, path: store.trajectoryLocation(data.runId), worker: context.name };
}

/** The worker's line for a try that ends by an error: its lock lost to another try, or failed (and retried). */
function tryEndedWithoutResult(job: Job<RolloutJobData>, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LeaseLostError) return `lost   ${job.data.runId}: ${message}`;
  return `failed ${job.data.runId} (try ${job.attemptsMade + 1}): ${message}`;
}

function resultStoreFor(context: JobContext, location: string): ResultStore {
  let store = context.stores.get(location);
  if (!store) context.stores.set(location, (store = openResultStore(location, context.options.stagingDir)));
  return store;
}

/**
 * Renews one try's lock by its token until stopped. BullMQ's own renewal tracks jobs by id: when a worker took
 * over its own stalled job, the old try's end stopped the renewal of the new one, whose lock then expired and
 * was taken over in turn, again and again. A renewal that fails is left to the next one: the lock may be back once
 * Redis answers, and if another try holds it now, lockCheck stops this one at its next line.
 */
function keepLock(job: Job, token: string | undefined, lockMs: number): () => void {
  if (token === undefined) return () => undefined;
  const timer = setInterval(() => void job.extendLock(token, lockMs).catch(() => undefined), renewalInterval(lockMs));
  return () => clearInterval(timer);
}

/** A sixth of the lock, in whole milliseconds: BullMQ's scripts refuse a fraction ('ERR value is not an integer'). */
function renewalInterval(lockMs: number): number {
  return Math.round(lockMs / 6);
}

/**
 * Before each recorded line: does this worker still hold the job's lock? A worker cut off from Redis (or
 * paused) past the lock's time may find another worker resuming the run; from then on it writes nothing.
 */
function lockCheck(rollouts: RolloutQueue, job: Job, token: string | undefined, lockMs: number): () => Promise<void> {
  const lockKey = `${rollouts.queue.qualifiedName}:${job.id as string}:lock`;
  return async () => {
    const holder = await withTimeout(rollouts.redis.get(lockKey), lockMs);
    if (holder === token) return;
    const why = holder === TIMED_OUT ? `Redis did not answer for ${lockMs / 1000} s` : 'another worker holds it now';
    throw new LeaseLostError(`this worker lost its lock on the job (${why}); stopping without writing`);
  };
}

const TIMED_OUT = Symbol('timed out');

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type PreviousRecord = { kind: 'none' } | { kind: 'resumable' } | { kind: 'finished'; summary: RolloutSummary };

/**
 * What an earlier try of this run id left in the store. A record closed as an infrastructure error, or one
 * that never got its first line, is removed so that the run id starts again and stays one trajectory. A
 * cancelled run goes on (the job was queued again after the cancel).
 */
async function previousRecord(store: ResultStore, runId: string): Promise<PreviousRecord> {
  await store.fetchRun(runId);
  const path = join(store.localDir, runId, TRAJECTORY_FILE);
  if (!existsSync(path)) return { kind: 'none' };
  const { trajectory } = await readTrajectoryLog(path);
  if (trajectory && isResumable(trajectory)) return { kind: 'resumable' };
  const result = trajectory?.result;
  if (!trajectory || !result || result.exit_status === 'infra_error') {
    await store.removeRun(runId);
    return { kind: 'none' };
  }
  return {
    kind: 'finished',
    summary: {
      runId,
      taskId: trajectory.run.task_id,
      attempt: trajectory.run.attempt,
      exitStatus: result.exit_status,
      resolved: result.reward?.resolved ?? null,
      reward: result.reward?.value ?? null,
      turns: result.totals?.turns ?? trajectory.turns.length,
      tokens: (result.totals?.tokens_in ?? 0) + (result.totals?.tokens_out ?? 0),
      durationMs: result.totals?.duration_ms ?? 0,
      path: store.trajectoryLocation(runId),
      reason: result.error,
    },
  };
}

/** A job whose task or policy cannot be had fails at once: trying again would fail the same way. */
async function findTask(context: JobContext, data: RolloutJobData): Promise<Task> {
  let tasks = context.tasks.get(data.taskFile);
  if (!tasks) context.tasks.set(data.taskFile, (tasks = loadTasksStrict(data.taskFile)));
  const task = (
    await tasks.catch((error: unknown) => Promise.reject(new UnrecoverableError(`job ${data.runId}: ${String(error)}`)))
  ).find((candidate) => candidate.id === data.taskId);
  if (!task) throw new UnrecoverableError(`job ${data.runId}: no task ${data.taskId} in ${data.taskFile}`);
  return task;
}

async function policyFor(context: JobContext, data: RolloutJobData, task: Task): Promise<Policy> {
  // One policy per spec and settings: jobs of one batch share the model client and what its server said.
  const key = `${data.policySpec} ${JSON.stringify(data.modelSettings ?? {})}`;
  let policy = context.policies.get(key);
  if (!policy) {
    const resolver = policyResolver(data.policySpec, { settings: data.modelSettings });
    context.policies.set(key, (policy = { resolver, refusals: new RefusalWatch(REFUSAL_MEMORY_MS) }));
  }
  // A failed try, not a failed job: another worker, with keys of its own, may be answered.
  const refusal = policy.refusals.current;
  if (refusal) throw new Error(refusedBeforeStart(refusal));
  try {
    return policy.refusals.watch(await (await policy.resolver)(task, data.attempt));
  } catch (error) {
    throw new UnrecoverableError(
      `job ${data.runId}: policy ${data.policySpec}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A job whose task no protocol runs, or whose protocol models cannot be made here, fails at once. */
async function checkProtocol(task: Task, data: RolloutJobData): Promise<void> {
  try {
    protocolFor(task, data.protocol);
    await checkProtocolPolicies(data.protocol);
  } catch (error) {
    throw new UnrecoverableError(`job ${data.runId}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function cancelledBeforeStart(data: RolloutJobData, worker: string): RolloutJobResult {
  return { ...unrecorded(data.taskId, data.attempt, 'cancelled', NOT_STARTED_REASON, data.runId), worker };
}
