import * as vscode from 'vscode';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError } from '../../core/task/task';
import { taskDetailsMarkdown } from '../views/taskDetails';
import { TaskItem, TaskSetItem, type TaskSet, type TasksTree } from '../views/tasksTree';
import type { CommandContext } from './context';
import { fileArgumentOrPick } from './pick';

/** Rollout Studio: Open Task Set… — SWE-bench JSON/JSONL, CodeAssistBench JSONL, or a task folder. */
export async function openTaskSet(context: CommandContext, argument?: unknown): Promise<TaskSet | undefined> {
  const file = await fileArgumentOrPick(argument, {
    canSelectFiles: true,
    canSelectFolders: true,
    title: 'Open Task Set (SWE-bench JSON/JSONL, CodeAssistBench JSONL, or a task folder)',
    filters: { 'Task files': ['json', 'jsonl'], 'All files': ['*'] },
  });
  if (!file) return undefined;
  const set = await loadTaskSet(context.log, file);
  await context.tasks.add(set);
  return set;
}

async function loadTaskSet(log: vscode.LogOutputChannel, file: string): Promise<TaskSet> {
  const { tasks, errors } = await loadTasks(file);
  log.info(`opened task set ${file}: ${tasks.length} tasks, ${errors.length} bad rows`);
  for (const error of errors) log.warn(formatLoadError(error));
  if (errors.length > 0) {
    const first = formatLoadError(errors[0]);
    void vscode.window
      .showWarningMessage(`Rollout Studio: ${errors.length} row(s) of ${file} did not load, e.g. ${first}`, 'Show Log')
      .then((choice) => choice && log.show());
  }
  return { path: file, tasks };
}

/**
 * Opens again the task sets that were open when the window last closed (activation calls it). A set that no
 * longer loads (moved, deleted) is dropped from the list, and the log says why.
 */
export async function restoreTaskSets(tasks: TasksTree, log: vscode.LogOutputChannel): Promise<void> {
  for (const file of tasks.savedPaths) {
    try {
      await tasks.add(await loadTaskSet(log, file));
    } catch (error) {
      log.warn(`task set ${file} was open before and no longer loads: ${(error as Error).message}`);
      await tasks.remove(file);
    }
  }
}

/** Tasks view: closes a task set (its file is left as it is). */
export async function removeTaskSet(context: CommandContext, item?: unknown): Promise<boolean> {
  const setPath =
    item instanceof TaskSetItem
      ? item.set.path
      : (
          await vscode.window.showQuickPick(
            context.tasks.taskSets.map((set) => ({ label: set.path, description: `${set.tasks.length} tasks` })),
            { title: 'Close which task set?' },
          )
        )?.label;
  if (!setPath) return false;
  await context.tasks.remove(setPath);
  context.log.info(`closed task set ${setPath}`);
  return true;
}

/** Tasks view: a click on a task opens its details (repository, problem statement, tests, runs) beside. */
export async function showTask(context: CommandContext, item?: unknown): Promise<vscode.TextEditor | undefined> {
  if (!(item instanceof TaskItem)) throw new Error('Show Task Details: choose a task in the Tasks view');
  const markdown = taskDetailsMarkdown(item.task, item.setPath, context.runs.runs);
  const uri = context.diffs.put('tasks', `${encodeURIComponent(item.task.id)}.md`, markdown);
  // The `.md` name opens it as Markdown (its preview is one click away).
  return vscode.window.showTextDocument(uri, { preview: true, preserveFocus: true });
}
