import * as vscode from 'vscode';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError } from '../../core/task/task';
import type { TaskSet } from '../views/tasksTree';
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
  const { tasks, errors } = await loadTasks(file);
  context.log.info(`opened task set ${file}: ${tasks.length} tasks, ${errors.length} bad rows`);
  for (const error of errors) context.log.warn(formatLoadError(error));
  if (errors.length > 0) {
    const first = formatLoadError(errors[0]);
    void vscode.window
      .showWarningMessage(`Rollout Studio: ${errors.length} row(s) of ${file} did not load, e.g. ${first}`, 'Show Log')
      .then((choice) => choice && context.log.show());
  }
  const set = { path: file, tasks };
  context.tasks.add(set);
  return set;
}
