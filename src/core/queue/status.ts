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

export async function queueStatus({ queue }: RolloutQueue): Promise<QueueStatus> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'failed', 'delayed');
  const finished = await queue.getCompleted(0, -1);
  const completed = finished.filter((job) => !endedCancelled(job));
  const failed = await queue.getFailed(0, -1);
  // Throughput is of the work done: a cancelled job ran part of a rollout, or nothing.
  const spans = new Map<string, { jobs: number; first: number; last: number; busyMs: number }>();
  for (const job of completed) {
    const worker = job.returnvalue?.worker ?? job.processedBy ?? 'unknown';
    const start = job.processedOn ?? job.timestamp;
    const end = job.finishedOn ?? start;
    const span = spans.get(worker) ?? { jobs: 0, first: start, last: end, busyMs: 0 };
    spans.set(worker, {
      jobs: span.jobs + 1,
      first: Math.min(span.first, start),
      last: Math.max(span.last, end),
      busyMs: span.busyMs + (end - start),
    });
  }
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    completed: completed.length,
    cancelled: finished.length - completed.length,
    failed: counts.failed ?? 0,
    delayed: counts.delayed ?? 0,
    workers: (await queue.getWorkers()).length,
    throughput: [...spans].map(([worker, span]) => ({
      worker,
      completed: span.jobs,
      perMinute: span.jobs / Math.max((span.last - span.first) / 60_000, 1 / 60_000),
      meanJobMs: span.busyMs / span.jobs,
    })),
    failures: failed.map((job) => ({
      runId: job.id ?? '',
      taskId: job.data.taskId,
      attempt: job.data.attempt,
      tries: job.attemptsMade,
      reason: job.failedReason ?? '',
    })),
  };
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
