/**
 * The output folder's disk filling up during a run: the folder is a small tmpfs (mounted here, so root only) that
 * already holds a finished run; a filler file leaves `freeBytes` of it, drawn below one run's size, and the next
 * run is started. The run either fits, or the CLI fails with an error naming the folder and the full disk. Either
 * way the earlier run's log and index entry are unchanged byte for byte, every complete line of the new log
 * parses (the reader drops a final partial one), the index reads whole, and no container is left. A run the disk
 * stopped is not scored, and once space is freed an unfinished one resumes to the end with the turns it had; a run
 * that wrote its last line before the disk was full (only the index's update failed) keeps its true end, and the
 * index reads it so.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import { readRunIndex, RUN_INDEX_FILE, type RunIndexEntry } from '../../../src/core/trajectory/runIndex';
import type { RunResult } from '../../../src/core/trajectory/types';
import {
  ANSWERS,
  completeLines,
  containersOf,
  finished,
  rolloutCli,
  runDirs,
  startModelServer,
  sumOver,
} from '../support/exampleBatch';

const TMPFS_SIZE = '8m';

/** What one disk-full try did and what survived it. */
export interface DiskFullTry {
  /** Bytes left free on the folder's disk when the run started. */
  freeBytes: number;
  /** The run fitted (finished normally) or the CLI stopped on the full disk. */
  ended: 'fitted' | 'disk_full';
  /** Turns the filled run recorded before the disk was full. */
  turnsRecorded: number;
  /** Unfinished runs resumed to a resolved end once space was freed (the others ended `infra_error`). */
  runsResumed: number;
  /** Runs that wrote their last line, resolved, before the disk was full (the run index's update failed). */
  runsFinishedFirst: number;
  /** Earlier turns lost or changed: the finished run's, and those the filled run recorded before its resume. */
  turnsLost: number;
  /** Runs damaged: the earlier one changed, the filled one unreadable, scored, or not resumable to the end. */
  runsLost: number;
  /** Containers the filled run's process left. */
  orphans: number;
  faults: string[];
}

/** A tmpfs of TMPFS_SIZE at a new temporary folder, holding one finished run in `runs/`; `unmount` removes it. */
export async function diskWithOneRun(): Promise<{ mountPoint: string; runBytes: number; unmount: () => void }> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'rollout-fault-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mountPoint]);
  const unmount = () => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  };
  try {
    const server = await startModelServer();
    try {
      const before = freeBytes(mountPoint);
      const { status, output } = await finished(rolloutCli(server.baseURL, join(mountPoint, 'runs'), 1));
      if (status !== 0) throw new Error(`the run on an empty disk failed (exit ${status}):\n${output}`);
      return { mountPoint, runBytes: before - freeBytes(mountPoint), unmount };
    } finally {
      await server.close();
    }
  } catch (error) {
    unmount();
    throw error;
  }
}

function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

/** One try: a copy of the folder with one run, the disk filled to `free` bytes, a run started, then resumed. */
export async function fillDuringRun(mountPoint: string, free: number, tryNumber: number): Promise<DiskFullTry> {
  const outDir = join(mountPoint, `try-${tryNumber}`);
  const filler = join(mountPoint, `filler-${tryNumber}`);
  cpSync(join(mountPoint, 'runs'), outDir, { recursive: true });
  const earlierRuns = new Map(
    runDirs(outDir).map((runId) => [runId, readFileSync(join(outDir, runId, TRAJECTORY_FILE))]),
  );
  const earlierIndex = await readRunIndex(outDir);
  const outcome: DiskFullTry = {
    freeBytes: free,
    ended: 'fitted',
    turnsRecorded: 0,
    runsResumed: 0,
    runsFinishedFirst: 0,
    turnsLost: 0,
    runsLost: 0,
    orphans: 0,
    faults: [],
  };
  const fault = (message: string) => outcome.faults.push(message);
  const server = await startModelServer();
  try {
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(mountPoint) - free)));
    const child = rolloutCli(server.baseURL, outDir, 1);
    const { status, output } = await finished(child);
    outcome.orphans = await containersOf(child.pid as number);
    if (status !== 0) {
      outcome.ended = 'disk_full';
      if (!output.includes(outDir) || !/no space left on device/i.test(output))
        fault(`the CLI exited ${status} without naming the folder and the full disk:\n${output.slice(-1200)}`);
    }

    // Nothing earlier changed: the finished run's log byte for byte, its index entry; the index reads whole.
    for (const [runId, bytes] of earlierRuns)
      if (!readFileSync(join(outDir, runId, TRAJECTORY_FILE)).equals(bytes)) {
        fault(`${runId}: the earlier run's log changed`);
        outcome.runsLost++;
        outcome.turnsLost += ANSWERS.length;
      }
    const indexText = readFileSync(join(outDir, RUN_INDEX_FILE), 'utf8');
    if (!indexText.endsWith('\n') || completeLines(join(outDir, RUN_INDEX_FILE)).unparsable)
      fault(`the run index is not whole:\n${indexText}`);
    const index = await readRunIndex(outDir).catch((error: Error) => (fault(error.message), []));
    for (const entry of earlierIndex)
      if (JSON.stringify(index.find((one) => one.run_id === entry.run_id)) !== JSON.stringify(entry))
        fault(`${entry.run_id}: its index entry changed`);

    // The filled run: whole lines only (a final partial one dropped), never scored, resumable when unfinished.
    const filled = runDirs(outDir).filter((runId) => !earlierRuns.has(runId));
    for (const runId of filled) {
      const path = join(outDir, runId, TRAJECTORY_FILE);
      if (!existsSync(path)) continue;
      const lines = completeLines(path);
      if (lines.unparsable) fault(`${runId}: ${lines.unparsable} complete line(s) do not parse`);
      outcome.turnsRecorded += lines.events.filter((event) => event.type === 'turn').length;
      const read = await readTrajectoryLog(path);
      if (read.problems.length) fault(`${runId}: ${read.problems.map((p) => `${p.line}: ${p.message}`).join('; ')}`);
      if (!read.trajectory) continue;
      const result = read.trajectory.result;
      if (outcome.ended === 'disk_full' && result) {
        const problem = stoppedRunProblem(
          result,
          index.find((entry) => entry.run_id === runId),
        );
        if (problem === 'finished first') outcome.runsFinishedFirst++;
        else if (problem) {
          fault(`${runId}: ${problem}; the CLI said:\n${output.slice(-1200)}`);
          outcome.runsLost++;
        }
      }
      if (result) continue;
      const kept = read.trajectory.turns.map((turn) => JSON.stringify(turn.messages));
      rmSync(filler, { force: true });
      const resumed = await finished(rolloutCli(server.baseURL, outDir, 1, ['--resume', runId]));
      const after = await readTrajectoryLog(path);
      const turns = after.trajectory?.turns.map((turn) => JSON.stringify(turn.messages)) ?? [];
      const keptAll = kept.every((turn, at) => turns[at] === turn);
      if (resumed.status !== 0 || !after.trajectory?.result?.reward?.resolved || !keptAll || after.problems.length) {
        fault(
          `${runId}: resumed with exit ${resumed.status}, ${turns.length} turns (${kept.length} kept, in order: ${keptAll}), ended ${after.trajectory?.result?.exit_status}: ${resumed.output.slice(-600)}`,
        );
        outcome.runsLost++;
        if (!keptAll) outcome.turnsLost += kept.length;
      } else outcome.runsResumed++;
    }
    return outcome;
  } finally {
    await server.close();
    rmSync(filler, { force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Why the result of a run whose CLI stopped on the full disk is wrong, if it is: unscored `infra_error` when the
 * disk stopped the run, or its true end when the run wrote its last line first and only the run index's update
 * found the disk full (then the index, as read, must tell that end too).
 */
function stoppedRunProblem(result: RunResult, entry: RunIndexEntry | undefined): string | 'finished first' | undefined {
  if (result.exit_status === 'infra_error')
    return result.reward === null ? undefined : `a run stopped by the full disk was scored ${result.reward.value}`;
  if (result.exit_status !== 'submitted' || !result.reward?.resolved)
    return `a run stopped by the full disk ended ${result.exit_status}, reward ${JSON.stringify(result.reward)}`;
  if (entry?.status !== 'submitted' || entry.resolved !== true)
    return `the run finished (submitted, resolved) but the index reads ${JSON.stringify(entry)}`;
  return 'finished first';
}

export interface DiskFullFigures {
  fault: 'disk_full';
  tries: number;
  run_bytes: number;
  disk_full: number;
  turns_recorded: number;
  runs_resumed: number;
  runs_finished_first: number;
  turns_lost: number;
  runs_lost: number;
  orphans: number;
}

export function diskFullFigures(tries: DiskFullTry[], runBytes: number): DiskFullFigures {
  const sum = (pick: (one: DiskFullTry) => number) => sumOver(tries, pick);
  return {
    fault: 'disk_full',
    tries: tries.length,
    run_bytes: runBytes,
    disk_full: tries.filter((one) => one.ended === 'disk_full').length,
    turns_recorded: sum((one) => one.turnsRecorded),
    runs_resumed: sum((one) => one.runsResumed),
    runs_finished_first: sum((one) => one.runsFinishedFirst),
    turns_lost: sum((one) => one.turnsLost),
    runs_lost: sum((one) => one.runsLost),
    orphans: sum((one) => one.orphans),
  };
}
