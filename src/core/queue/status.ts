/** The queue at a glance: how many jobs wait, run, finished and failed, and how fast each worker goes. */
import type { Job } from 'bullmq';
import { endedCancelled, type RolloutJobData, type RolloutJobResult, type RolloutQueue } from './rolloutQueue';

export interface WorkerThroughput {
  worker: string;
  completed: number;
  /** Completed jobs per minute between the worker's first start and last finish. */
  perMinute: number;
  meanJobMs: number;
}

export interface QueueStatus {
  waiting: number;
  active: number;
  /** Finished with a result (cancelled jobs not counted). */
  completed: number;
  /** Finished as cancelled (endedCancelled). */
  cancelled: number;
  failed: number;
  /** Waiting out a retry backoff. */
  delayed: number;
  /** Workers connected now. */
  workers: number;
  throughput: WorkerThroughput[];
  /** The failed jobs with the reason of their last try. */
  failures: Array<{ runId: string; taskId: string; attempt: number; tries: number; reason: string }>;
}

type RolloutJob = Job<RolloutJobData, RolloutJobResult>;

/** What the status needs of a completed job. */
interface CompletedJob {
  worker: string;
  start: number;
  end: number;
  cancelled: boolean;
}

type Failure = QueueStatus['failures'][number];

/**
 * The jobs of one of the queue's finished sets (completed, failed), each read once while it stays there: a finished
 * job does not change until it leaves the set. A job is known by its id and its score there, the time it arrived: one
 * tried again and finished anew is read anew.
 */
class FinishedJobs<Facts> {
  private known = new Map<string, Facts>();

  constructor(
    private readonly rollouts: RolloutQueue,
    private readonly set: 'completed' | 'failed',
    private readonly factsOf: (job: RolloutJob) => Facts,
  ) {}

  /** The set's jobs' facts, oldest first; only the jobs that arrived since the last read are read from Redis. */
  async read(): Promise<Facts[]> {
    const { queue, redis } = this.rollouts;
    const flat = await redis.zrange(queue.keys[this.set], 0, -1, 'WITHSCORES');
    const entries = [];
    for (let index = 0; index < flat.length; index += 2)
      entries.push({ id: flat[index], key: `${flat[index]}@${flat[index + 1]}` });
    const unread = entries.filter((entry) => !this.known.has(entry.key));
    const jobs = await Promise.all(unread.map((entry) => queue.getJob(entry.id)));
    const read = new Map(unread.map((entry, index) => [entry.key, jobs[index]]));
    const known = new Map<string, Facts>();
    for (const { key } of entries) {
      const job = read.get(key);
      // A job removed between the two reads is left out.
      const facts = job ? this.factsOf(job) : this.known.get(key);
      if (facts !== undefined) known.set(key, facts);
    }
    this.known = known;
    return [...known.values()];
  }
}

function completedJob(job: RolloutJob): CompletedJob {
  const start = job.processedOn ?? job.timestamp;
  return {
    worker: job.returnvalue?.worker ?? job.processedBy ?? 'unknown',
    start,
    end: job.finishedOn ?? start,
    cancelled: endedCancelled(job),
  };
}

function failure(job: RolloutJob): Failure {
  return {
    runId: job.id ?? '',
    taskId: job.data.taskId,
    attempt: job.data.attempt,
    tries: job.attemptsMade,
    reason: job.failedReason ?? '',
  };
}

/**
 * Reads the queue's status again and again (the Runs view polls it): each finished job is read once while it stays
 * finished, so that a poll of a queue holding many thousand finished jobs reads only those finished since the last.
 */
export class QueueStatusReader {
  private readonly completed: FinishedJobs<CompletedJob>;
  private readonly failed: FinishedJobs<Failure>;

  constructor(private readonly rollouts: RolloutQueue) {
    this.completed = new FinishedJobs(rollouts, 'completed', completedJob);
    this.failed = new FinishedJobs(rollouts, 'failed', failure);
  }

  async read(): Promise<QueueStatus> {
    const { queue } = this.rollouts;
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'failed', 'delayed');
    const finished = await this.completed.read();
    const completed = finished.filter((job) => !job.cancelled);
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      completed: completed.length,
      cancelled: finished.length - completed.length,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      workers: (await queue.getWorkers()).length,
      // Throughput is of the work done: a cancelled job ran part of a rollout, or nothing.
      throughput: throughput(completed),
      // The latest failure first.
      failures: (await this.failed.read()).reverse(),
    };
  }
}

/** The queue's status, read once (`rollout status`). */
export async function queueStatus(rollouts: RolloutQueue): Promise<QueueStatus> {
  return new QueueStatusReader(rollouts).read();
}

/** Each worker's completed jobs, their rate between its first start and last finish, and their mean time. */
function throughput(completed: CompletedJob[]): WorkerThroughput[] {
  const spans = new Map<string, { jobs: number; first: number; last: number; busyMs: number }>();
  for (const { worker, start, end } of completed) {
    const span = spans.get(worker) ?? { jobs: 0, first: start, last: end, busyMs: 0 };
    spans.set(worker, {
      jobs: span.jobs + 1,
      first: Math.min(span.first, start),
      last: Math.max(span.last, end),
      busyMs: span.busyMs + (end - start),
    });
  }
  return [...spans].map(([worker, span]) => ({
    worker,
    completed: span.jobs,
    perMinute: span.jobs / Math.max((span.last - span.first) / 60_000, 1 / 60_000),
    meanJobMs: span.busyMs / span.jobs,
  }));
}

export function formatQueueStatus(status: QueueStatus): string {
  const lines = [
    `waiting ${status.waiting}  active ${status.active}  done ${status.completed}${status.cancelled ? `  cancelled ${status.cancelled}` : ''}  failed ${status.failed}  retrying ${status.delayed}  workers ${status.workers}`,
  ];
  if (status.throughput.length) {
    lines.push('', `${'worker'.padEnd(32)}  done  jobs/min  mean job`);
    for (const row of status.throughput)
      lines.push(
        `${row.worker.padEnd(32)}  ${String(row.completed).padStart(4)}  ${row.perMinute.toFixed(1).padStart(8)}  ${(row.meanJobMs / 1000).toFixed(1).padStart(6)} s`,
      );
  }
  if (status.failures.length) {
    lines.push('', 'failed:');
    for (const failure of status.failures)
      lines.push(
        `  ${failure.runId} (${failure.taskId}, attempt ${failure.attempt}, ${failure.tries} tries): ${failure.reason.split('\n')[0]}`,
      );
  }
  return lines.join('\n');
}
