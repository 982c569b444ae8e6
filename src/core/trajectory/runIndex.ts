import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import { withFileLock } from '../fileLock';
import { ownerIsGone, thisProcess, type ProcessOwner } from '../processOwner';
import { readTrajectoryLog, TRAJECTORY_FILE } from './reader';
import type { ExitStatus, RunMetadata, RunResult } from './types';

/**
 * The run index of an output folder: one JSON line per run, its latest state. Every change rewrites it whole
 * (write, fsync, rename, folder fsync) under a lock, so parallel writers take turns and a crash leaves the old
 * index or the new one, never a torn line.
 */
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
  /** The process recording the run while it runs (the last to start or resume it). */
  owner?: ProcessOwner;
  ended_at?: string;
  turns?: number;
  reward?: number | null;
  resolved?: boolean;
}

/** A run's entry as its log tells it: running (in this process) until it has a result. */
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
  if (!result) return { ...entry, owner: thisProcess() };
  return {
    ...entry,
    ended_at: result.ended_at,
    turns,
    reward: result.reward?.value ?? null,
    ...(result.reward?.resolved !== undefined ? { resolved: result.reward.resolved } : {}),
  };
}

/** Sets a run's entry in the index (adding the run, or replacing its earlier entry). */
export async function updateRunIndex(outDir: string, entry: RunIndexEntry): Promise<void> {
  const file = join(outDir, RUN_INDEX_FILE);
  await withFileLock(file, async () => {
    // A line that is not JSON holds no run to keep: the rewrite drops it rather than refuse every new run.
    const entries = await parseRunIndex(file, () => undefined);
    const at = entries.findIndex((existing) => existing.run_id === entry.run_id);
    if (at === -1) entries.push(entry);
    else entries[at] = { ...entries[at], ...entry };
    await writeFileAtomic(file, entries.map((existing) => `${JSON.stringify(existing)}\n`).join(''), { locked: true });
  });
}

/**
 * Whether a run the index calls running is still recorded: false when its recording process is known to be gone
 * (killed or crashed on this machine), undefined when that cannot be told (an index written before owners were
 * recorded); true otherwise, a process on another machine included.
 */
export function isRecordedByLiveProcess(entry: RunIndexEntry): boolean | undefined {
  if (entry.status !== 'running') return false;
  if (!entry.owner) return undefined;
  return !ownerIsGone(entry.owner);
}

/** Takes a deleted run out of the index (no change when it is not there). */
export async function removeFromRunIndex(outDir: string, runId: string): Promise<void> {
  const file = join(outDir, RUN_INDEX_FILE);
  await withFileLock(file, async () => {
    const entries = await parseRunIndex(file, () => undefined);
    const kept = entries.filter((entry) => entry.run_id !== runId);
    if (kept.length === entries.length) return;
    await writeFileAtomic(file, kept.map((entry) => `${JSON.stringify(entry)}\n`).join(''), { locked: true });
  });
}

/** Sets a run's entry as its log tells it now, for logs copied in from elsewhere (a bucket, another machine). */
export async function indexRunFromLog(outDir: string, runId: string): Promise<void> {
  const { trajectory } = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
  if (trajectory)
    await updateRunIndex(outDir, runIndexEntry(trajectory.run, trajectory.result, trajectory.turns.length));
}

/**
 * The latest entry of every run in the index, in order of first appearance. A line that is not JSON is named
 * by file and line. (Indexes written by version 0.1 appended a line per change, and a killed writer could leave
 * the last one torn; both still read.)
 */
export async function readRunIndex(outDir: string): Promise<RunIndexEntry[]> {
  const entries = await parseRunIndex(join(outDir, RUN_INDEX_FILE), (file, line) => {
    throw new Error(`${file}:${line}: not valid JSON`);
  });
  return Promise.all(entries.map((entry) => settledByItsLog(outDir, entry)));
}

/**
 * A run the index calls running though no live process records it, as its log tells it: the process may have
 * written the run's last line and then failed to update the index (its disk full, or killed between the two).
 */
async function settledByItsLog(outDir: string, entry: RunIndexEntry): Promise<RunIndexEntry> {
  if (entry.status !== 'running' || isRecordedByLiveProcess(entry)) return entry;
  const path = join(outDir, entry.path);
  if (!(await logMayHaveFinished(path).catch(() => false))) return entry;
  const read = await readTrajectoryLog(path).catch(() => undefined);
  const trajectory = read?.trajectory;
  return trajectory?.result ? runIndexEntry(trajectory.run, trajectory.result, trajectory.turns.length) : entry;
}

const LOG_TAIL_BYTES = 64 * 1024;

/**
 * Whether a log may end with its `run_finished` line, told from its last 64 KiB, not the whole log: the Runs view
 * reads the index on every change, and interrupted runs stay in it. True when its last line is that or is longer
 * than 64 KiB; it throws when the log is missing or its last line is torn.
 */
async function logMayHaveFinished(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const { buffer } = await file.read(Buffer.alloc(length), 0, length, size - length);
    const start = buffer.lastIndexOf('\n', length - 2) + 1;
    if (start === 0 && length < size) return true;
    return (JSON.parse(buffer.subarray(start).toString('utf8')) as { type?: unknown }).type === 'run_finished';
  } finally {
    await file.close();
  }
}

async function parseRunIndex(file: string, onBadLine: (file: string, line: number) => void): Promise<RunIndexEntry[]> {
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
      if (i < lines.length - 1) onBadLine(file, i + 1);
      return;
    }
    latest.set(entry.run_id, { ...latest.get(entry.run_id), ...entry });
  });
  return [...latest.values()];
}
