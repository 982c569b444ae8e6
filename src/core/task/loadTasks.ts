/** Detects the format of a task file or folder and loads it with the matching source. */

import { existsSync, statSync } from 'node:fs';
import { readRows } from './rows';
import { CabSource } from './cabSource';
import { MultiSweBenchSource } from './multiSweBenchSource';
import { R2eGymSource } from './r2eGymSource';
import { SweBenchProSource } from './sweBenchProSource';
import { SweBenchSource } from './sweBenchSource';
import { SweSmithSource } from './sweSmithSource';
import { TaskFolderSource } from './taskFolderSource';
import { formatLoadError, type Task, type TaskLoadResult, type TaskSource } from './task';

/** Each dataset family by the fields its rows carry (and lack), most specific first; the first row decides. */
const ROW_FORMATS: { has: string[]; lacks?: string[]; source: () => TaskSource }[] = [
  // Every released CodeAssistBench split has satisfaction conditions; `cab_recent` rows have no `task_id`.
  { has: ['satisfaction_conditions'], source: () => new CabSource() },
  { has: ['instance_id', 'before_repo_set_cmd', 'selected_test_files_to_run'], source: () => new SweBenchProSource() },
  { has: ['docker_image', 'repo_name', 'commit_hash'], source: () => new R2eGymSource() },
  { has: ['org', 'repo', 'number', 'fix_patch'], source: () => new MultiSweBenchSource() },
  // A SWE-bench row may name its image too; SWE-smith's have no test patch.
  { has: ['instance_id', 'image_name', 'patch'], lacks: ['test_patch'], source: () => new SweSmithSource() },
  { has: ['instance_id'], source: () => new SweBenchSource() },
];

/**
 * Picks the source from the first row's fields: CodeAssistBench, SWE-bench Pro, R2E-Gym, Multi-SWE-bench, SWE-smith,
 * else SWE-bench and the datasets in its format (Lite, Verified, Multilingual, SWE-Gym); JSON, JSONL and Parquet.
 */
export async function detectTaskSource(path: string): Promise<TaskSource> {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) return new TaskFolderSource();
  const { rows, errors } = await readRows(path);
  if (rows.length === 0 && errors.length > 0) throw new Error(formatLoadError(errors[0]));
  const first = rows[0]?.row ?? {};
  const format = ROW_FORMATS.find(
    ({ has, lacks = [] }) => has.every((field) => field in first) && !lacks.some((field) => field in first),
  );
  if (format) return format.source();
  throw new Error(
    `${path}: not a task file (rows need SWE-bench 'instance_id', CodeAssistBench 'satisfaction_conditions', R2E-Gym 'docker_image', 'repo_name' and 'commit_hash', or Multi-SWE-bench 'org', 'repo', 'number' and 'fix_patch')`,
  );
}

/** The tasks of a file or folder, each id once; rows that did not load (or repeat an id) are named in `errors`. */
export async function loadTasks(path: string): Promise<TaskLoadResult> {
  const source = await detectTaskSource(path);
  return source.load(path);
}

/** Loads tasks and throws one message listing every bad row; for commands that need all of them. */
export async function loadTasksStrict(path: string): Promise<Task[]> {
  const { tasks, errors } = await loadTasks(path);
  if (errors.length > 0) {
    throw new Error(
      `${errors.length} task row(s) did not load:\n${errors.map((error) => `  ${formatLoadError(error)}`).join('\n')}`,
    );
  }
  return tasks;
}

/** One task by id; when it is not there, the rows that did not load are named, since it may be among them. */
export async function loadTask(path: string, id: string): Promise<Task> {
  const { tasks, errors } = await loadTasks(path);
  const task = tasks.find((candidate) => candidate.id === id);
  if (task) return task;
  const why = errors.length
    ? `; rows that did not load:\n${errors.map((error) => `  ${formatLoadError(error)}`).join('\n')}`
    : '';
  throw new Error(`${path}: no task '${id}'${why}`);
}
