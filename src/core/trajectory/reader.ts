import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from './lines';
import { isReadableSchemaVersion, OLDEST_READABLE_SCHEMA_VERSION, upgradeLine } from './migrate';
import { checkTrajectoryEvent } from './schema';
import { TRAJECTORY_SCHEMA_VERSION, type Trajectory, type TrajectoryEvent } from './types';

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
  /** Byte length of the log up to the end of its last valid line before `run_finished`: the log a resume keeps. */
  bytesBeforeFinish: number;
  /** The schema version the log was written under (its lines were read as the current version). */
  schemaVersion: number;
}

/**
 * A log's valid events, streamed in order: memory holds one line at a time, however long the run. Malformed
 * and misplaced lines are skipped and collected in `problems`; a torn final line ends the stream. A log
 * written under an older schema version streams as the current one.
 */
export class TrajectoryEventStream {
  readonly problems: LogProblem[] = [];
  /** The final line was cut off mid-write (the writer was killed); everything before it was read. */
  tornFinalLine = false;
  /** Byte length of the log up to the end of its last complete, valid line. */
  validBytes = 0;
  /** Byte length of the log up to the end of its last valid line before `run_finished`. */
  bytesBeforeFinish = 0;
  /** The schema version its `run_started` line declared. */
  schemaVersion = TRAJECTORY_SCHEMA_VERSION;
  private started = false;
  private turns = 0;
  private finished = false;

  constructor(
    readonly file: string,
    private readonly maxLineBytes?: number,
  ) {}

  async *events(): AsyncGenerator<TrajectoryEvent> {
    for await (const line of readLines(this.file, { maxLineBytes: this.maxLineBytes })) {
      if (line.tooLongBytes !== undefined) {
        if (!line.complete) this.tornFinalLine = true;
        else
          this.problem(
            line.number,
            `a line of ${line.tooLongBytes} bytes, over the ${this.maxLineBytes} read per line; skipped`,
          );
        continue;
      }
      if (line.text.trim() === '') {
        if (line.complete) this.validBytes = line.endOffset;
        continue;
      }
      // A line is written with its newline: without one it was cut, even where the cut left valid JSON (a resume
      // that kept it would append its next line to this one).
      if (!line.complete) {
        this.tornFinalLine = true;
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch (error) {
        this.problem(line.number, `not valid JSON (${(error as Error).message})`);
        continue;
      }
      const declared = declaredVersion(parsed);
      if (declared !== undefined && !this.started) {
        if (!isReadableSchemaVersion(declared)) {
          this.problem(line.number, unreadableVersion(declared));
          continue;
        }
        this.schemaVersion = declared;
      }
      parsed = upgradeLine(parsed, this.schemaVersion);
      const invalid = checkTrajectoryEvent(parsed);
      if (invalid) {
        this.problem(line.number, `invalid ${describeType(parsed)} line: ${invalid}`);
        continue;
      }
      const event = parsed as TrajectoryEvent;
      const misplaced = this.place(event);
      if (misplaced) {
        this.problem(line.number, misplaced);
        continue;
      }
      this.validBytes = line.endOffset;
      if (event.type !== 'run_finished') this.bytesBeforeFinish = line.endOffset;
      yield event;
    }
  }

  private problem(line: number, message: string): void {
    this.problems.push({ file: this.file, line, message });
  }

  /** Why the event cannot stand where it is in the log, or null when it can. */
  private place(event: TrajectoryEvent): string | null {
    if (event.type === 'run_started') {
      if (this.started) return 'a second run_started line; a log holds one run';
      this.started = true;
      return null;
    }
    if (!this.started) return `a ${event.type} line before the run_started line`;
    if (this.finished) return `a ${event.type} line after run_finished`;
    if (event.type === 'turn') {
      if (event.turn.index !== this.turns)
        return `turn index ${event.turn.index} where turn ${this.turns} was expected`;
      this.turns += 1;
    } else if (event.type === 'run_finished') this.finished = true;
    return null;
  }
}

/** Bounds on what a reader holds in memory, for readers that must stay small whatever the log (an editor). */
export interface LogReadLimits {
  /** A bigger log is refused, with its size and the limit named, before anything is read. */
  maxFileBytes?: number;
  /** A longer line is skipped (a problem on its line) without being held in memory. */
  maxLineBytes?: number;
}

/**
 * Reads a `trajectory.jsonl` up to its last complete line, reporting bad lines instead of stopping at them.
 * A log written under an older schema version is read as the current one.
 */
export async function readTrajectoryLog(file: string, limits: LogReadLimits = {}): Promise<TrajectoryReadResult> {
  if (limits.maxFileBytes !== undefined) {
    const { size } = await stat(file);
    if (size > limits.maxFileBytes)
      throw new Error(
        `${file} is ${formatMiB(size)}, over the ${formatMiB(limits.maxFileBytes)} this view reads: open it with \`rollout report\` or export it instead`,
      );
  }
  const stream = new TrajectoryEventStream(file, limits.maxLineBytes);
  let trajectory: Trajectory | null = null;
  for await (const event of stream.events()) {
    if (event.type === 'run_started') trajectory = { run: event.run, turns: [], events: [] };
    else if (!trajectory) continue;
    else if (event.type === 'turn') trajectory.turns.push(event.turn);
    else if (event.type === 'event') trajectory.events.push(event.event);
    else trajectory.result = event.result;
  }
  const { problems, tornFinalLine, validBytes, bytesBeforeFinish, schemaVersion } = stream;
  return { trajectory, problems, tornFinalLine, validBytes, bytesBeforeFinish, schemaVersion };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 1024 ** 2 ? 2 : 0)} MiB`;
}

/** The `schema_version` of a `run_started` line, else undefined. */
function declaredVersion(value: unknown): unknown {
  const line = value as { type?: unknown; schema_version?: unknown } | null;
  return line?.type === 'run_started' ? line.schema_version : undefined;
}

function unreadableVersion(version: unknown): string {
  const known = `this reader knows ${OLDEST_READABLE_SCHEMA_VERSION} to ${TRAJECTORY_SCHEMA_VERSION}`;
  const newer = typeof version === 'number' && version > TRAJECTORY_SCHEMA_VERSION;
  return `/schema_version: ${JSON.stringify(version)} is not readable (${known}${newer ? '; a newer Rollout Studio wrote this log' : ''})`;
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
  // One readdir per folder: iterating an opendir costs three times its CPU over 10,000 run folders (bench/report).
  for (const entry of await readdir(dir, { withFileTypes: true }))
    names.push({ name: entry.name, isDir: entry.isDirectory() });
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    if (entry.isDir) yield* logsUnder(join(dir, entry.name));
    else if (entry.name === TRAJECTORY_FILE) yield join(dir, entry.name);
  }
}
