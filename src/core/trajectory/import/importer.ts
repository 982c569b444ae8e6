import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describeJsonSyntaxError, FolderNotFileError, readJsonText } from '../../textFile';
import { readLines } from '../lines';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../reader';
import { TrajectoryRecorder, type RecorderOptions } from '../recorder';
import type { Trajectory } from '../types';
import { fromMiniSweAgentTraj } from './miniSweAgent';
import { fromOpenAiConversation } from './openaiJsonl';
import { fromOpenHandsEvents } from './openHands';
import { fromSweAgentTraj } from './sweAgent';

export type ImportFormat = 'swe-agent' | 'mini-swe-agent' | 'openhands' | 'openai';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['swe-agent', 'mini-swe-agent', 'openhands', 'openai'];

/**
 * The trajectories in a foreign file, one at a time: an OpenAI JSONL file (and an OpenHands evaluation
 * `output.jsonl`) streams line by line; the other formats hold one run a file. OpenHands 1.x keeps a
 * conversation as a folder of event files (`events/event-00000-….json`) or as JSONL with one event a line:
 * either is one run.
 */
export async function* readForeignTrajectories(
  file: string,
  from: ImportFormat,
  options: { taskId?: string } = {},
): AsyncGenerator<Trajectory> {
  if ((await stat(file)).isDirectory()) {
    if (from !== 'openhands') throw new FolderNotFileError(file);
    const { events, content } = await readEventFolder(file);
    yield fromOpenHandsEvents(events, file, { taskId: options.taskId, content });
    return;
  }
  if (from === 'openai' || (from === 'openhands' && file.endsWith('.jsonl'))) {
    const events: unknown[] = [];
    let eventLines = '';
    for await (const line of readLines(file)) {
      if (line.text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch (error) {
        throw new Error(`${file}: line ${line.number}: not valid JSON (${(error as Error).message})`);
      }
      if (from === 'openai') yield fromOpenAiConversation(parsed, file, line.number, line.text);
      else if (isOpenHandsEvent(parsed)) {
        events.push(parsed);
        eventLines += `${line.text}\n`;
      } else
        yield fromOpenHandsEvents(parsed, `${file}: line ${line.number}`, {
          taskId: options.taskId,
          content: line.text,
        });
    }
    if (events.length > 0) yield fromOpenHandsEvents(events, file, { taskId: options.taskId, content: eventLines });
    return;
  }
  const content = await readJsonText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    const { line, reason } = describeJsonSyntaxError(content, error);
    throw new Error(`${file}: line ${line}: not valid JSON (${reason})`);
  }
  const read = {
    'swe-agent': fromSweAgentTraj,
    'mini-swe-agent': fromMiniSweAgentTraj,
    openhands: fromOpenHandsEvents,
  }[from];
  yield read(parsed, file, { taskId: options.taskId, content });
}

/** One line of an OpenHands event log (an event of either version), not an evaluation record holding a stream. */
function isOpenHandsEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || 'history' in value) return false;
  return 'kind' in value || 'action' in value || 'observation' in value;
}

/** The events of an OpenHands 1.x conversation folder (or of its `events` folder), in the order of their names. */
async function readEventFolder(dir: string): Promise<{ events: unknown[]; content: string }> {
  const nested = join(dir, 'events');
  const folder = (await stat(nested).catch(() => undefined))?.isDirectory() ? nested : dir;
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) throw new Error(`${folder}: no event files (*.json) in this folder`);
  const texts = await Promise.all(names.map((name) => readJsonText(join(folder, name))));
  const events = texts.map((text, i) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const { line, reason } = describeJsonSyntaxError(text, error);
      throw new Error(`${join(folder, names[i])}: line ${line}: not valid JSON (${reason})`);
    }
  });
  return { events, content: texts.join('\n') };
}

/** Writes a whole trajectory as a run log in `outDir` through the recorder (so it is redacted and checked). */
export async function writeTrajectory(
  outDir: string,
  trajectory: Trajectory,
  options: RecorderOptions = {},
): Promise<string> {
  const recorder = await TrajectoryRecorder.start(outDir, trajectory.run, options);
  const events = [...trajectory.events];
  const flushEvents = async (afterTurn: number) => {
    while (events.length > 0 && events[0].after_turn <= afterTurn) {
      const event = events.shift()!;
      await recorder.recordEvent(event.kind, event.data, event.at);
    }
  };
  await flushEvents(0);
  for (const turn of trajectory.turns) {
    await recorder.recordTurn(turn);
    await flushEvents(turn.index + 1);
  }
  await flushEvents(Infinity);
  if (trajectory.result) await recorder.finish(trajectory.result);
  else await recorder.close();
  return recorder.path;
}

export interface ImportSummary {
  runs: { run_id: string; task_id: string; turns: number; path: string }[];
  /** Runs the output folder holds already as this import records them (an earlier import of the same records). */
  importedBefore: { run_id: string; path: string }[];
}

/** The runs an import found already imported, for the line that reports it ('' when none). */
export function importedBeforeNote(summary: ImportSummary): string {
  const count = summary.importedBefore.length;
  return count ? `; ${count} run(s) were there from an earlier import, left as they are` : '';
}

export interface ImportOptions {
  /** The task id of a one-run file (default: from the file). */
  taskId?: string;
  recorder?: RecorderOptions;
  signal?: AbortSignal;
}

/**
 * Imports every run of `file` into `outDir`, or none: the file is read whole before the first run is written, so a
 * bad row anywhere leaves the folder as it was. It is then read again to write each run, rather than held whole.
 */
export async function importTrajectories(
  file: string,
  from: ImportFormat,
  outDir: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  if (!IMPORT_FORMATS.includes(from))
    throw new Error(`--from: unknown format '${from}'; choose one of ${IMPORT_FORMATS.join(', ')}`);
  const importedBefore = await runsImportedBefore(file, from, outDir, options);
  const runs: ImportSummary['runs'] = [];
  for await (const trajectory of readForeignTrajectories(file, from, options)) {
    options.signal?.throwIfAborted();
    if (importedBefore.has(trajectory.run.run_id)) continue;
    const path = await writeTrajectory(outDir, trajectory, options.recorder);
    runs.push({ run_id: trajectory.run.run_id, task_id: trajectory.run.task_id, turns: trajectory.turns.length, path });
  }
  return { runs, importedBefore: [...importedBefore].map(([runId, path]) => ({ run_id: runId, path })) };
}

/**
 * Reads every run of `file`, writing none, and returns the logs of those `outDir` holds already as this import
 * records them, by run id. A bad row, a run id given twice, or a run in `outDir` that is not the one `file` gives
 * under its id throws: nothing is imported then.
 */
async function runsImportedBefore(
  file: string,
  from: ImportFormat,
  outDir: string,
  options: ImportOptions,
): Promise<Map<string, string>> {
  const runIds = new Set<string>();
  const importedBefore = new Map<string, string>();
  for await (const trajectory of readForeignTrajectories(file, from, options)) {
    options.signal?.throwIfAborted();
    const runId = trajectory.run.run_id;
    if (runIds.has(runId)) throw new Error(`${file}: two runs have the id '${runId}'; nothing was imported`);
    runIds.add(runId);
    const path = join(outDir, runId, TRAJECTORY_FILE);
    if (!existsSync(path)) continue;
    if (!(await holdsAsRecorded(path, trajectory, options.recorder)))
      throw new Error(
        `${path} already exists and is not run '${runId}' as ${file} gives it: nothing was imported; import into another folder, or delete that run`,
      );
    importedBefore.set(runId, path);
  }
  return importedBefore;
}

/**
 * Whether the log at `path` holds `trajectory` as the recorder writes it (redacted, totals added), wherever the
 * file it was imported from lay: the run is recorded in a scratch folder and both logs are read back.
 */
async function holdsAsRecorded(path: string, trajectory: Trajectory, options: RecorderOptions = {}): Promise<boolean> {
  const scratch = await mkdtemp(join(tmpdir(), 'rollout-import-'));
  try {
    const { redactor, secrets } = options;
    const recorded = await readTrajectoryLog(
      await writeTrajectory(scratch, trajectory, { redactor, secrets, fsync: false }),
    );
    const existing = await readTrajectoryLog(path);
    return (
      existing.problems.length === 0 &&
      isDeepStrictEqual(withoutSourcePath(existing.trajectory), withoutSourcePath(recorded.trajectory))
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A run's record but for the path it was imported from, which a rerun from another folder writes otherwise. */
function withoutSourcePath(trajectory: Trajectory | null): Trajectory | null {
  if (!trajectory?.run.source) return trajectory;
  return { ...trajectory, run: { ...trajectory.run, source: { ...trajectory.run.source, path: undefined } } };
}
