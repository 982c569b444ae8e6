import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from './lines';
import { checkTrajectoryEvent } from './schema';
import type { Trajectory, TrajectoryEvent } from './types';

export const TRAJECTORY_FILE = 'trajectory.jsonl';

/** A bad line in a trajectory log, located exactly. */
export interface LogProblem {
  file: string;
  line: number;
  message: string;
}

export function formatProblem(problem: LogProblem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}

export interface TrajectoryReadResult {
  /** Null only when the log has no readable `run_started` line. */
  trajectory: Trajectory | null;
  /** Malformed or misplaced lines; each was skipped and the rest of the log was read. */
  problems: LogProblem[];
  /** The final line was cut off mid-write (the writer was killed); everything before it was read. */
  tornFinalLine: boolean;
  /** Byte length of the log up to the end of its last complete, valid line. */
  validBytes: number;
}

/** Reads a `trajectory.jsonl` up to its last complete line, reporting bad lines instead of stopping at them. */
export async function readTrajectoryLog(file: string): Promise<TrajectoryReadResult> {
  const problems: LogProblem[] = [];
  let trajectory: Trajectory | null = null;
  let tornFinalLine = false;
  let validBytes = 0;
  const problem = (line: number, message: string) => problems.push({ file, line, message });

  for await (const line of readLines(file)) {
    if (line.text.trim() === '') {
      if (line.complete) validBytes = line.endOffset;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.text);
    } catch (error) {
      if (!line.complete) {
        tornFinalLine = true;
        break;
      }
      problem(line.number, `not valid JSON (${(error as Error).message})`);
      continue;
    }
    const invalid = checkTrajectoryEvent(parsed);
    if (invalid) {
      problem(line.number, `invalid ${describeType(parsed)} line: ${invalid}`);
      continue;
    }
    const misplaced = apply(parsed as TrajectoryEvent);
    if (misplaced) problem(line.number, misplaced);
    else validBytes = line.endOffset;
  }
  return { trajectory, problems, tornFinalLine, validBytes };

  function apply(event: TrajectoryEvent): string | null {
    if (event.type === 'run_started') {
      if (trajectory) return 'a second run_started line; a log holds one run';
      trajectory = { run: event.run, turns: [], events: [] };
      return null;
    }
    if (!trajectory) return `a ${event.type} line before the run_started line`;
    if (trajectory.result) return `a ${event.type} line after run_finished`;
    if (event.type === 'turn') {
      if (event.turn.index !== trajectory.turns.length) {
        return `turn index ${event.turn.index} where turn ${trajectory.turns.length} was expected`;
      }
      trajectory.turns.push(event.turn);
    } else if (event.type === 'event') {
      trajectory.events.push(event.event);
    } else {
      trajectory.result = event.result;
    }
    return null;
  }
}

function describeType(value: unknown): string {
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : 'untyped';
}

/**
 * Every trajectory log under the given paths, in sorted order: a path may be a log file, a run folder,
 * or an output folder holding run folders (searched recursively).
 */
export async function* findTrajectoryLogs(paths: string[]): AsyncGenerator<string> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new Error(`--runs: no such file or directory: ${path}`);
    }
    if (info.isFile()) yield path;
    else yield* logsUnder(path);
  }
}

async function* logsUnder(dir: string): AsyncGenerator<string> {
  const names: { name: string; isDir: boolean }[] = [];
  for await (const entry of await opendir(dir)) names.push({ name: entry.name, isDir: entry.isDirectory() });
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    if (entry.isDir) yield* logsUnder(join(dir, entry.name));
    else if (entry.name === TRAJECTORY_FILE) yield join(dir, entry.name);
  }
}
