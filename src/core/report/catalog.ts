/**
 * What the report knows of each task beyond its id: the dataset it came from, its categories (repository,
 * language, the dataset's own category) and the files of its reference patch. From task files when given;
 * otherwise what a run itself tells (its protocol, where it was imported from, a SWE-bench-style id).
 */
import { basename } from 'node:path';
import { filesInPatch } from '../task/environment';
import { loadTasks } from '../task/loadTasks';
import { formatLoadError, type Task } from '../task/task';
import type { RunFacts } from './model';

export interface TaskInfo {
  dataset: string;
  /** Dimension (`repo`, `language`, `category`) → value. */
  categories: Record<string, string>;
  goldFiles: string[];
}

/** The dataset name of runs whose task is in no task file given. */
export const UNKNOWN_DATASET = '(no task file)';

/** SWE-bench instance ids are `owner__name-number`: the repository is in the id. */
const SWE_BENCH_ID = /^([A-Za-z0-9_.-]+?)__([A-Za-z0-9_.-]+)-\d+$/;

export class TaskCatalog {
  private readonly tasks = new Map<string, TaskInfo>();

  /** Adds a task set under a dataset name (by default the file or folder name). */
  add(tasks: readonly Task[], dataset: string): void {
    for (const task of tasks) this.tasks.set(task.id, taskInfo(task, dataset));
  }

  goldFiles(taskId: string): readonly string[] | undefined {
    return this.tasks.get(taskId)?.goldFiles;
  }

  /** Every task's gold files, for worker threads (which cannot share the catalog). */
  goldFileEntries(): [string, readonly string[]][] {
    return [...this.tasks].flatMap(([taskId, info]) => (info.goldFiles.length ? [[taskId, info.goldFiles]] : []));
  }

  /** The task's info, from its task file when one was given, else from what the run says. */
  infoFor(run: Pick<RunFacts, 'taskId' | 'protocol' | 'importedFrom'>): TaskInfo {
    const known = this.tasks.get(run.taskId);
    if (known) return known;
    const dataset = run.importedFrom
      ? `imported (${run.importedFrom})`
      : run.protocol === 'cab'
        ? 'CodeAssistBench'
        : UNKNOWN_DATASET;
    const match = SWE_BENCH_ID.exec(run.taskId);
    return { dataset, categories: match ? { repo: `${match[1]}/${match[2]}` } : {}, goldFiles: [] };
  }
}

function taskInfo(task: Task, dataset: string): TaskInfo {
  const categories: Record<string, string> = {};
  const repo = task.repo.name ?? SWE_BENCH_ID.exec(task.id)?.slice(1, 3).join('/');
  if (repo) categories.repo = repo;
  if (task.language) categories.language = task.language;
  if (task.cab?.category) categories.category = task.cab.category;
  return { dataset, categories, goldFiles: filesInPatch(task.goldPatch) };
}

/** A catalog of the task files given; a file that does not load is an error naming it, a bad row a warning. */
export async function loadCatalog(paths: readonly string[], warn: (message: string) => void): Promise<TaskCatalog> {
  const catalog = new TaskCatalog();
  for (const path of paths) {
    const { tasks, errors } = await loadTasks(path);
    for (const error of errors) warn(`${formatLoadError(error)} (task skipped)`);
    catalog.add(tasks, basename(path.replace(/\/+$/, '')));
  }
  return catalog;
}
