/**
 * Rollouts on a BullMQ job queue in Redis: one job per (task, attempt), its id the run id, a digest of the job,
 * so enqueuing the same runs twice is a no-op and every retry of a job works on the same trajectory.
 */
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { CompactionStrategy } from '../agent/context/contextManager';
import type { ModelSettings } from '../agent/policies/modelSettings';
import type { ProtocolSpec } from '../agent/protocols/protocol';
import { newRunId, type RolloutSummary } from '../agent/rollout';
import type { InstanceImageOptions } from '../task/instanceImages';
import { isS3Url } from './resultStore';

export const QUEUE_NAME = 'rollouts';
/** Tries per job before it is marked failed with the last reason: infrastructure failures retry with backoff. */
export const JOB_TRIES = 3;
const BACKOFF_MS = 1_000;

/** Everything a worker on another machine needs to run one attempt; paths are absolute (a shared folder), or outDir is an s3:// address. */
export type RolloutJobData = Omit<EnqueueRequest, 'taskIds' | 'attempts'> & {
  runId: string;
  taskId: string;
  attempt: number;
  /** When `rollout run --queue` last tried the job again after it failed: a cancel before then spares it. */
  requeuedAt?: number;
};

/** When a job was last queued: a cancel stops the jobs queued before it. */
export function queuedAt(job: Job<RolloutJobData>): number {
  return job.data.requeuedAt ?? job.timestamp;
}

/** What a finished job returns: the rollout's summary and the worker that ran it. */
export interface RolloutJobResult extends RolloutSummary {
  worker: string;
  /** True when a retry found the run already finished and returned its record instead of running again. */
  fromRecord?: boolean;
}

const QUEUE_URL_FORMS = 'redis://HOST:PORT, rediss://HOST:PORT or unix:///PATH/TO/redis.sock';

/**
 * ioredis connection options for `redis://[:PASSWORD@]HOST:PORT[/DB]`, `rediss://` (TLS) or `unix:///PATH[?db=DB]`
 * (a Redis on this machine listening on a socket file: `unixsocket` in redis.conf); workers block, so requests
 * never give up.
 */
export function redisConnection(url: string): ConnectionOptions & RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--queue: expected ${QUEUE_URL_FORMS}, got '${url}'`);
  }
  if (parsed.protocol === 'unix:' && /^\/./.test(parsed.pathname) && !parsed.host)
    return {
      path: decodeURIComponent(parsed.pathname),
      db: databaseNumber(parsed.searchParams.get('db') ?? undefined, url),
      maxRetriesPerRequest: null,
    };
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`--queue: expected ${QUEUE_URL_FORMS}, got '${url}'`);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: databaseNumber(parsed.pathname.length > 1 ? parsed.pathname.slice(1) : undefined, url),
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

function databaseNumber(text: string | undefined, url: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`--queue: the database in '${url}' is not a number: '${text}'`);
  return Number(text);
}

/** How a queue client hears Redis go away, and whether its requests wait for Redis to come back. */
export interface QueueClientOptions {
  /** Told once each time the connection is lost or refused (not at every reconnect try), naming the address. */
  onConnectionError?: (message: string) => void;
  /**
   * Requests wait for Redis to come back however long it takes: a worker's and a fault test's, which outlive a Redis
   * restart. Otherwise a request fails, with the connection's error, after CLIENT_REQUEST_RETRIES reconnect tries:
   * `rollout status`, `rollout run --queue`, the editor's queue monitor.
   */
  waitForRedis?: boolean;
}

const CLIENT_REQUEST_RETRIES = 3;

/**
 * The rollout queue and a plain Redis client beside it for the cancel mark: the one way to make queue clients. Both
 * have an 'error' listener (unheard, ioredis prints 'Unhandled error event' at every reconnect try).
 */
export class RolloutQueue {
  readonly queue: Queue<RolloutJobData, RolloutJobResult>;
  readonly redis: Redis;
  /** The connection's error while Redis does not answer; undefined once it is ready again. */
  private connectionError: string | undefined;

  constructor(
    readonly url: string,
    { onConnectionError, waitForRedis = false }: QueueClientOptions = {},
  ) {
    const connection = { ...redisConnection(url), maxRetriesPerRequest: waitForRedis ? null : CLIENT_REQUEST_RETRIES };
    this.queue = new Queue<RolloutJobData, RolloutJobResult>(QUEUE_NAME, { connection });
    this.redis = new Redis(connection);
    const heard = (error: NodeJS.ErrnoException) => {
      const reason = error.code ?? error.message;
      if (reason === this.connectionError) return;
      this.connectionError = reason;
      onConnectionError?.(`the Redis at ${url} does not answer (${reason}); reconnecting`);
    };
    this.queue.on('error', heard);
    this.redis.on('error', heard);
    this.redis.on('ready', () => (this.connectionError = undefined));
  }

  /** Opens the queue once Redis answers; an unreachable Redis is an error at once, not endless reconnects. */
  static async open(url: string, options?: QueueClientOptions): Promise<RolloutQueue> {
    await assertReachable(url);
    return new RolloutQueue(url, options);
  }

  /** A request's error said as Redis gone from the queue's address, when the connection is down; else as it is. */
  explain(error: unknown): Error {
    if (this.connectionError === undefined) return error instanceof Error ? error : new Error(String(error));
    return new Error(
      `the Redis at ${this.url} stopped answering (${this.connectionError}); start it again, or check --queue`,
    );
  }

  /** The key whose value is the time of the last cancel: jobs enqueued before it are cancelled. */
  get cancelKey(): string {
    return `${this.queue.qualifiedName}:cancelled-at`;
  }

  /** When the queue was last cancelled (ms since the epoch), 0 if never. */
  async cancelledAt(): Promise<number> {
    return Number((await this.redis.get(this.cancelKey)) ?? 0);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

export async function assertReachable(url: string): Promise<void> {
  const probe = new Redis({
    ...redisConnection(url),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let connectError: NodeJS.ErrnoException | undefined;
  probe.on('error', (error: NodeJS.ErrnoException) => (connectError ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = connectError ?? (error as NodeJS.ErrnoException);
    const reason = cause.code ?? cause.message;
    throw new Error(`--queue: no Redis answers at ${url} (${reason}); start redis-server there (docs/queue.md)`);
  } finally {
    probe.disconnect();
  }
}

export interface EnqueueRequest {
  taskFile: string;
  taskIds: string[];
  attempts: number;
  policySpec: string;
  outDir: string;
  /** The reward, CodeAssistBench's user and judge and feedback rounds, by spec: each worker makes the clients with its own keys. */
  protocol: ProtocolSpec;
  maxTurns: number;
  /** How the agent compacts older turns (default: the agent config's). */
  compaction?: CompactionStrategy;
  /** The model's knobs as the user set them; each worker makes the policy with them. */
  modelSettings?: ModelSettings;
  reposDir?: string;
  specsFile?: string;
  /** How instance images are named for rows that name none (`--image-template`, `--namespace`). */
  instanceImages?: InstanceImageOptions;
}

/** The jobs of a request, each with its run id; local paths become absolute so any worker finds them. */
export function rolloutJobs(request: EnqueueRequest): RolloutJobData[] {
  const absolute = (path: string | undefined) => (path === undefined ? undefined : resolve(path));
  const recorded = /^(recorded|replay):(.+)$/.exec(request.policySpec);
  const policySpec = recorded ? `${recorded[1]}:${resolve(recorded[2])}` : request.policySpec;
  return request.taskIds.flatMap((taskId) =>
    Array.from({ length: request.attempts }, (_, attempt) => {
      const spec: Omit<RolloutJobData, 'runId'> = {
        taskFile: resolve(request.taskFile),
        taskId,
        attempt,
        policySpec,
        outDir: isS3Url(request.outDir) ? request.outDir : resolve(request.outDir),
        protocol: request.protocol,
        maxTurns: request.maxTurns,
        compaction: request.compaction,
        modelSettings: request.modelSettings,
        reposDir: absolute(request.reposDir),
        specsFile: absolute(request.specsFile),
        instanceImages: request.instanceImages,
      };
      return { runId: jobRunId(spec), ...spec };
    }),
  );
}

/**
 * A job's run id is a digest of everything the job carries, so the same command given again (a user's retry)
 * makes the same ids and BullMQ adds nothing; a different policy, folder or option makes other runs.
 */
function jobRunId(spec: Omit<RolloutJobData, 'runId'>): string {
  const digest = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  return newRunId(spec.taskId, spec.attempt, digest.slice(0, 12));
}

export const JOB_OPTIONS: JobsOptions = {
  attempts: JOB_TRIES,
  backoff: { type: 'exponential', delay: BACKOFF_MS },
  removeOnComplete: false,
  removeOnFail: false,
};

/** Whether a finished job ended cancelled: stopped while it ran, or taken up after a cancel and not started. */
export function endedCancelled(job: Job<RolloutJobData, RolloutJobResult>): boolean {
  return job.returnvalue?.exitStatus === 'cancelled';
}

/** A failed or cancelled job that enqueuing tried again; a failed one with the reason its last try gave. */
export type RetriedJob = { runId: string } & ({ ended: 'failed'; failedReason: string } | { ended: 'cancelled' });

/**
 * Adds the jobs. A job whose run id is already in the queue, waiting, running or finished, is left as it is; a
 * failed or cancelled one is tried again, its tries counted afresh: the same command given after a cancel, or
 * after a failure's cause was mended (an image built, a key set), runs what did not finish (a cancelled run goes
 * on from its last finished turn).
 */
export async function enqueueRollouts({ queue }: RolloutQueue, jobs: RolloutJobData[]): Promise<RetriedJob[]> {
  await queue.addBulk(jobs.map((data) => ({ name: 'rollout', data, opts: { ...JOB_OPTIONS, jobId: data.runId } })));
  // By id: the queue may hold many more finished jobs than this request has.
  const found = (await Promise.all(jobs.map((job) => queue.getJob(job.runId)))).filter((job) => job !== undefined);
  const states = await Promise.all(found.map((job) => job.getState()));
  const retried: RetriedJob[] = [];
  for (const [index, job] of found.entries()) {
    if (states[index] === 'failed') {
      const failedReason = job.failedReason;
      await tryAgain(job, 'failed');
      retried.push({ runId: job.id as string, ended: 'failed', failedReason });
    } else if (states[index] === 'completed' && endedCancelled(job)) {
      await tryAgain(job, 'completed');
      retried.push({ runId: job.id as string, ended: 'cancelled' });
    }
  }
  return retried;
}

/** Queues a finished job again, marked so that a cancel given before now does not stop it. */
async function tryAgain(job: Job<RolloutJobData>, state: 'failed' | 'completed'): Promise<void> {
  await job.updateData({ ...job.data, requeuedAt: Date.now() });
  await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
}

/** Drains the waiting jobs and tells every worker to abort the ones it runs that were enqueued before now. */
export async function cancelRollouts(rollouts: RolloutQueue): Promise<{ drained: number; active: number }> {
  const { queue } = rollouts;
  const before = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
  await rollouts.redis.set(rollouts.cancelKey, String(Date.now()));
  await queue.drain(true);
  return {
    drained: (before.waiting ?? 0) + (before.delayed ?? 0) + (before.prioritized ?? 0),
    active: before.active ?? 0,
  };
}
