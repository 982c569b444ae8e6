import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTrajectoryLog, TRAJECTORY_FILE } from './reader';
import type { ExitStatus, RunMetadata, RunResult } from './types';

/** The run index of an output folder: one JSON line per change, so parallel workers can append safely. */
export const RUN_INDEX_FILE = 'index.jsonl';

export interface RunIndexEntry {
  run_id: string;
  task_id: string;
  attempt: number;
  policy: string;
  /** The log's path relative to the output folder. */
  path: string;
  status: 'running' | ExitStatus;
  started_at: string;
  ended_at?: string;
  turns?: number;
  reward?: number | null;
  resolved?: boolean;
}

/** A run's entry as its log tells it: running until it has a result. */
export function runIndexEntry(run: RunMetadata, result?: RunResult, turns?: number): RunIndexEntry {
  const entry: RunIndexEntry = {
    run_id: run.run_id,
    task_id: run.task_id,
    attempt: run.attempt,
    policy: run.policy,
    path: join(run.run_id, TRAJECTORY_FILE),
    status: result?.exit_status ?? 'running',
    started_at: run.started_at,
  };
  if (!result) return entry;
  return {
    ...entry,
    ended_at: result.ended_at,
    turns,
    reward: result.reward?.value ?? null,
    ...(result.reward?.resolved !== undefined ? { resolved: result.reward.resolved } : {}),
  };
}

export async function appendRunIndex(outDir: string, entry: RunIndexEntry): Promise<void> {
  // One write of one short line with O_APPEND: concurrent writers never interleave inside it.
  await appendFile(join(outDir, RUN_INDEX_FILE), `${JSON.stringify(entry)}\n`);
}

/** Adds a run's entry as its log tells it now, for logs copied in from elsewhere (a bucket, another machine). */
export async function indexRunFromLog(outDir: string, runId: string): Promise<void> {
  const { trajectory } = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
  if (trajectory)
    await appendRunIndex(outDir, runIndexEntry(trajectory.run, trajectory.result, trajectory.turns.length));
}

/** The latest entry of every run in the index, in order of first appearance. */
export async function readRunIndex(outDir: string): Promise<RunIndexEntry[]> {
  const file = join(outDir, RUN_INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const latest = new Map<string, RunIndexEntry>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: RunIndexEntry;
    try {
      entry = JSON.parse(line) as RunIndexEntry;
    } catch {
      // A torn last line from a killed writer is expected; anything else is corruption worth naming.
      if (i === lines.length - 1) return;
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
    latest.set(entry.run_id, { ...latest.get(entry.run_id), ...entry });
  });
  return [...latest.values()];
}
