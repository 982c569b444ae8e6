/** The queue at a glance: how many jobs wait, run, finished and failed, and how fast each worker goes. */
import { endedCancelled, type RolloutQueue } from './rolloutQueue';

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

/** What the status needs of a completed job, which does not change while the job stays completed. */
interface CompletedJob {
  worker: string;
  start: number;
  end: number;
  cancelled: boolean;
}

/**
 * Reads the queue's status again and again (the Runs view polls it): each completed job is read once, while it stays
 * completed, so that a poll of a queue holding many thousand finished jobs reads only those finished since the last.
 * A job is known by its id and the time it finished: one tried again and completed anew is read anew.
 */
export class QueueStatusReader {
  private completed = new Map<string, CompletedJob>();

  constructor(private readonly rollouts: RolloutQueue) {}

  async read(): Promise<QueueStatus> {
    const { queue } = this.rollouts;
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'failed', 'delayed');
    await this.readCompleted();
    const all = [...this.completed.values()];
    const completed = all.filter((job) => !job.cancelled);
    const failed = await queue.getFailed(0, -1);
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      completed: completed.length,
      cancelled: all.length - completed.length,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      workers: (await queue.getWorkers()).length,
      // Throughput is of the work done: a cancelled job ran part of a rollout, or nothing.
      throughput: throughput(completed),
      failures: failed.map((job) => ({
        runId: job.id ?? '',
        taskId: job.data.taskId,
        attempt: job.data.attempt,
        tries: job.attemptsMade,
        reason: job.failedReason ?? '',
      })),
    };
  }

  /** The completed set's ids with the times they finished (its scores); the jobs not known yet are read. */
  private async readCompleted(): Promise<void> {
    const { queue, redis } = this.rollouts;
    const flat = await redis.zrange(queue.keys.completed, 0, -1, 'WITHSCORES');
    const known = new Map<string, CompletedJob>();
    const unread: string[] = [];
    for (let index = 0; index < flat.length; index += 2) {
      const key = `${flat[index]}@${flat[index + 1]}`;
      const job = this.completed.get(key);
      if (job) known.set(key, job);
      else unread.push(flat[index]);
    }
    const jobs = await Promise.all(unread.map((id) => queue.getJob(id)));
    for (const job of jobs) {
      // A job removed between the two reads is not counted.
      if (!job?.id || job.finishedOn === undefined) continue;
      const start = job.processedOn ?? job.timestamp;
      known.set(`${job.id}@${job.finishedOn}`, {
        worker: job.returnvalue?.worker ?? job.processedBy ?? 'unknown',
        start,
        end: job.finishedOn,
        cancelled: endedCancelled(job),
      });
    }
    this.completed = known;
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
