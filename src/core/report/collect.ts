/** Reads the runs under some paths into their facts, a few logs at a time, never a whole trajectory. */
import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mapWithWorkers } from '../concurrency';
import { packageRoot } from '../paths';
import { findTrajectoryLogs } from '../trajectory/reader';
import type { TaskCatalog } from './catalog';
import { FactsIndex, type LogState } from './factsIndex';
import type { FactsWorkerBatch, FactsWorkerInput, FactsWorkerResults } from './factsWorker';
import type { ReportProblem, RunFacts } from './model';
import { readRunFacts, type RunFactsResult } from './runFacts';

/** Logs read at once by one thread: enough to keep the disk busy while one is parsed. */
const READ_CONCURRENCY = 8;
/** Below this many logs to read, starting threads costs more than they save. */
const LOGS_PER_THREAD = 250;
/** Logs handed to a thread at a time: small enough that the threads finish together whatever their logs' sizes. */
const LOGS_PER_BATCH = 16;
/** Logs stat'ed at once while checking the kept facts. */
const STAT_CONCURRENCY = 32;
/** Built by scripts/build.mjs from factsWorker.ts. */
const WORKER_SCRIPT = join('dist', 'report-worker.js');

export interface CollectedRuns {
  facts: RunFacts[];
  problems: ReportProblem[];
}

export interface CollectOptions {
  /** Keep the runs' facts in an index in each folder given and use them while a log is unchanged (default true). */
  keepFacts?: boolean;
  signal?: AbortSignal;
}

/** A log to report on, the index that may hold its facts, and the log's state before it is read. */
interface FoundLog {
  log: string;
  index: FactsIndex | null;
  state: LogState | null;
}

export async function collectRunFacts(
  paths: readonly string[],
  catalog: TaskCatalog,
  { keepFacts = true, signal }: CollectOptions = {},
): Promise<CollectedRuns> {
  const goldFiles = (taskId: string) => catalog.goldFiles(taskId);
  const logs = await findLogs(paths, keepFacts);
  const results: (RunFactsResult | null)[] = logs.map(({ log, index, state }) =>
    index && state ? index.current(log, state, goldFiles) : null,
  );
  const toRead = logs.flatMap((_, at) => (results[at] ? [] : [at]));
  const threads = Math.min(availableParallelism(), Math.floor(toRead.length / LOGS_PER_THREAD));
  const script = join(packageRoot(), WORKER_SCRIPT);
  const logsToRead = toRead.map((at) => logs[at].log);
  const read =
    threads > 1 && existsSync(script)
      ? await inThreads(script, logsToRead, catalog, threads, signal)
      : await mapWithWorkers(logsToRead, READ_CONCURRENCY, (log) => {
          signal?.throwIfAborted();
          return readRunFacts(log, goldFiles);
        });
  toRead.forEach((at, i) => {
    results[at] = read[i];
    const { log, index, state } = logs[at];
    if (index && state) index.keep(log, state, goldFiles, read[i]);
  });
  await Promise.all([...new Set(logs.map(({ index }) => index))].map((index) => index?.save()));
  return onePerRun(results as RunFactsResult[]);
}

/**
 * Two logs of one run id are copies of one run (a run's id is random, an import's hashes its content): the first
 * in path order counts and each copy is named as a problem, so that a copied run folder (or a linked log file) does
 * not count its attempts twice.
 */
function onePerRun(results: RunFactsResult[]): CollectedRuns {
  const problems = results.flatMap((result) => result.problems);
  const firstLog = new Map<string, string>();
  const facts: RunFacts[] = [];
  for (const { facts: run } of results) {
    if (!run) continue;
    const first = firstLog.get(run.runId);
    if (first === undefined) {
      firstLog.set(run.runId, run.path);
      facts.push(run);
    } else problems.push({ path: run.path, message: `run ${run.runId} is also in ${first}: counted once, from there` });
  }
  return { facts, problems };
}

/**
 * The logs under each path, each with its folder's index (the folder given, or a log's own) and its state. A log
 * under two of the paths (`out out/run-1`, `out out`, a link to a folder) is read once, with the first path's index.
 */
async function findLogs(paths: readonly string[], keepFacts: boolean): Promise<FoundLog[]> {
  const found: { log: string; index: FactsIndex | null }[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const logs: string[] = [];
    // Absolute, so that a report's links open the run from anywhere.
    for await (const log of findTrajectoryLogs([path])) logs.push(resolve(log));
    const folder = resolve(path);
    // The walk follows no link below the path: a log's real path is the path's real one and the log's place under it.
    const realFolder = await realpath(folder);
    const index = keepFacts
      ? await FactsIndex.open((await stat(folder)).isDirectory() ? folder : dirname(folder))
      : null;
    for (const log of logs) {
      const realLog = realFolder + log.slice(folder.length);
      if (seen.has(realLog)) continue;
      seen.add(realLog);
      found.push({ log, index });
    }
  }
  return mapWithWorkers(found, STAT_CONCURRENCY, async ({ log, index }) => ({
    log,
    index,
    state: index ? await logState(log) : null,
  }));
}

/** Taken before the log is read: a log that grows while it is read is read again next time. */
async function logState(log: string): Promise<LogState | null> {
  try {
    const { size, mtimeMs } = await stat(log);
    return { size, mtimeMs };
  } catch {
    return null; // reading it names the problem
  }
}

/** The logs handed out in small batches to whichever thread is free; the results in the logs' order. */
async function inThreads(
  script: string,
  logs: string[],
  catalog: TaskCatalog,
  threads: number,
  signal?: AbortSignal,
): Promise<RunFactsResult[]> {
  const results: RunFactsResult[] = new Array(logs.length);
  let next = 0;
  const workers: Worker[] = [];
  const stop = () => workers.forEach((worker) => void worker.terminate());
  signal?.addEventListener('abort', stop, { once: true });
  const input: FactsWorkerInput = { goldFiles: catalog.goldFileEntries(), concurrency: READ_CONCURRENCY / 2 };
  try {
    await Promise.all(
      Array.from({ length: threads }, () => {
        const worker = new Worker(script, { workerData: input });
        workers.push(worker);
        return new Promise<void>((done, fail) => {
          let pending = 0;
          const send = () => {
            if (next >= logs.length) return pending === 0 && done();
            const batch: FactsWorkerBatch = { start: next, logs: logs.slice(next, next + LOGS_PER_BATCH) };
            next += batch.logs.length;
            pending += 1;
            worker.postMessage(batch);
          };
          worker.on('message', ({ start, results: part }: FactsWorkerResults) => {
            part.forEach((result, i) => (results[start + i] = result));
            pending -= 1;
            send();
          });
          worker.once('error', fail);
          worker.once('exit', (code) => fail(new Error(`a report worker stopped (exit ${code}) before it answered`)));
          // Two batches in flight: the thread starts the next while the answer to the last travels.
          send();
          send();
        });
      }),
    );
    signal?.throwIfAborted();
    return results;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}
