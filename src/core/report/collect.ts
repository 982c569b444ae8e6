/** Reads the runs under some paths into their facts, a few logs at a time, never a whole trajectory. */
import { resolve } from 'node:path';
import { mapWithWorkers } from '../concurrency';
import { findTrajectoryLogs } from '../trajectory/reader';
import type { TaskCatalog } from './catalog';
import type { ReportProblem, RunFacts } from './model';
import { readRunFacts } from './runFacts';

/** Logs read at once: enough to keep the disk busy while one is parsed. */
const READ_CONCURRENCY = 8;

export interface CollectedRuns {
  facts: RunFacts[];
  problems: ReportProblem[];
}

export async function collectRunFacts(
  paths: readonly string[],
  catalog: TaskCatalog,
  signal?: AbortSignal,
): Promise<CollectedRuns> {
  const logs: string[] = [];
  // Absolute, so that a report's links open the run from anywhere.
  for await (const log of findTrajectoryLogs([...paths])) logs.push(resolve(log));
  const results = await mapWithWorkers(logs, READ_CONCURRENCY, (log) => {
    signal?.throwIfAborted();
    return readRunFacts(log, (taskId) => catalog.goldFiles(taskId));
  });
  return {
    facts: results.flatMap((result) => (result.facts ? [result.facts] : [])),
    problems: results.flatMap((result) => result.problems),
  };
}
