/**
 * A worker thread of `collectRunFacts`: reads its share of the logs into facts and posts them back in order.
 * Built to dist/report-worker.js; parsing JSON is most of a report's work, and threads parse in parallel.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mapWithWorkers } from '../concurrency';
import { factsReader } from './factsCache';
import type { RunFactsResult } from './runFacts';

export interface FactsWorkerInput {
  logs: string[];
  /** Task id → files of its gold patch. */
  goldFiles: [string, readonly string[]][];
  concurrency: number;
  keepFacts: boolean;
}

async function main(): Promise<void> {
  const input = workerData as FactsWorkerInput;
  const gold = new Map(input.goldFiles);
  const readFacts = factsReader(input.keepFacts);
  const results: RunFactsResult[] = await mapWithWorkers(input.logs, input.concurrency, (log) =>
    readFacts(log, (taskId) => gold.get(taskId)),
  );
  parentPort!.postMessage(results);
}

void main();
