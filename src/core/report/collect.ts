/** Reads the runs under some paths into their facts, a few logs at a time, never a whole trajectory. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mapWithWorkers } from '../concurrency';
import { packageRoot } from '../paths';
import { findTrajectoryLogs } from '../trajectory/reader';
import type { TaskCatalog } from './catalog';
import type { FactsWorkerInput } from './factsWorker';
import { factsReader } from './factsCache';
import type { ReportProblem, RunFacts } from './model';
import type { RunFactsResult } from './runFacts';

/** Logs read at once by one thread: enough to keep the disk busy while one is parsed. */
const READ_CONCURRENCY = 8;
/** Below this many logs, starting threads costs more than they save. */
const LOGS_PER_THREAD = 250;
/** Built by scripts/build.mjs from factsWorker.ts. */
const WORKER_SCRIPT = join('dist', 'report-worker.js');

export interface CollectedRuns {
  facts: RunFacts[];
  problems: ReportProblem[];
}

export interface CollectOptions {
  /** Keep each run's facts beside its log and use them while the log is unchanged (default true). */
  keepFacts?: boolean;
  signal?: AbortSignal;
}

export async function collectRunFacts(
  paths: readonly string[],
  catalog: TaskCatalog,
  { keepFacts = true, signal }: CollectOptions = {},
): Promise<CollectedRuns> {
  const logs: string[] = [];
  // Absolute, so that a report's links open the run from anywhere.
  for await (const log of findTrajectoryLogs([...paths])) logs.push(resolve(log));
  const threads = Math.min(availableParallelism(), Math.floor(logs.length / LOGS_PER_THREAD));
  const script = join(packageRoot(), WORKER_SCRIPT);
  const results =
    threads > 1 && existsSync(script)
      ? await inThreads(script, logs, catalog, threads, keepFacts, signal)
      : await mapWithWorkers(logs, READ_CONCURRENCY, (log) => {
          signal?.throwIfAborted();
          return factsReader(keepFacts)(log, (taskId) => catalog.goldFiles(taskId));
        });
  return {
    facts: results.flatMap((result) => (result.facts ? [result.facts] : [])),
    problems: results.flatMap((result) => result.problems),
  };
}

/** The logs in contiguous shares, one per thread; the results in the logs' order. */
async function inThreads(
  script: string,
  logs: string[],
  catalog: TaskCatalog,
  threads: number,
  keepFacts: boolean,
  signal?: AbortSignal,
): Promise<RunFactsResult[]> {
  const share = Math.ceil(logs.length / threads);
  const workers: Worker[] = [];
  const stop = () => workers.forEach((worker) => void worker.terminate());
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const parts = await Promise.all(
      Array.from({ length: threads }, (_, i) => {
        const input: FactsWorkerInput = {
          logs: logs.slice(i * share, (i + 1) * share),
          goldFiles: catalog.goldFileEntries(),
          concurrency: READ_CONCURRENCY,
          keepFacts,
        };
        const worker = new Worker(script, { workerData: input });
        workers.push(worker);
        return new Promise<RunFactsResult[]>((done, fail) => {
          worker.once('message', done);
          worker.once('error', fail);
          worker.once('exit', (code) => fail(new Error(`a report worker stopped (exit ${code}) before it answered`)));
        });
      }),
    );
    signal?.throwIfAborted();
    return parts.flat();
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}
