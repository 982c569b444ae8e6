/**
 * A worker thread of `collectRunFacts`: reads the batches of logs it is sent into facts and posts each batch's
 * results back. Built to dist/report-worker.js; parsing JSON is most of a report's work, and threads parse in
 * parallel.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mapWithWorkers } from '../concurrency';
import { readRunFacts, type RunFactsResult } from './runFacts';

export interface FactsWorkerInput {
  /** Task id → files of its gold patch. */
  goldFiles: [string, readonly string[]][];
  /** Logs of a batch read at once. */
  concurrency: number;
}

/** Some logs, and where the first stands among all the logs being read. */
export interface FactsWorkerBatch {
  start: number;
  logs: string[];
}

export interface FactsWorkerResults {
  start: number;
  results: RunFactsResult[];
}

const input = workerData as FactsWorkerInput;
const gold = new Map(input.goldFiles);

parentPort!.on('message', (batch: FactsWorkerBatch) => {
  void mapWithWorkers(batch.logs, input.concurrency, (log) => readRunFacts(log, (taskId) => gold.get(taskId))).then(
    (results) => parentPort!.postMessage({ start: batch.start, results } satisfies FactsWorkerResults),
  );
});
