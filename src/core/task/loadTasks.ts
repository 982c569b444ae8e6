/** Detects the format of a task file or folder and loads it with the matching source. */

import { existsSync, statSync } from 'node:fs';
import { readRows } from './rows';
import { CabSource } from './cabSource';
import { SweBenchSource } from './sweBenchSource';
import { TaskFolderSource } from './taskFolderSource';
import { formatLoadError, type Task, type TaskLoadResult, type TaskSource } from './task';

/** Picks the source from the first row's fields: `instance_id` is SWE-bench, `task_id` + `satisfaction_conditions` is CAB. */
export async function detectTaskSource(path: string): Promise<TaskSource> {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) return new TaskFolderSource();
  const { rows } = await readRows(path);
  const first = rows[0]?.row;
  if (first && 'task_id' in first && 'satisfaction_conditions' in first) return new CabSource();
  if (first && 'instance_id' in first) return new SweBenchSource();
  throw new Error(
    `${path}: not a task file (rows need SWE-bench 'instance_id' or CodeAssistBench 'task_id' and 'satisfaction_conditions')`,
  );
}

export async function loadTasks(path: string): Promise<TaskLoadResult> {
  const source = await detectTaskSource(path);
  const result = await source.load(path);
  const seen = new Set<string>();
  for (const task of result.tasks) {
    if (seen.has(task.id))
      result.errors.push({ file: path, field: 'instance_id', message: `duplicate task id '${task.id}'` });
    seen.add(task.id);
  }
  return result;
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
