import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { exampleTasksFolder } from '../../core/paths';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { formatValidations, validateTasks, type TaskValidation } from '../../core/reward/validateTasks';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError } from '../../core/task/task';
import { withProgress } from '../progress';
import { applyDockerHost } from '../settings';
import { requireTrust } from '../trust';
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

/** Rollout Studio: Open Example Tasks — the ten small tasks the extension ships (tasks/examples), in the Tasks view. */
export async function openExampleTasks(context: CommandContext): Promise<TaskSet> {
  const set = await loadTaskSet(context.log, exampleTasksFolder());
  await context.tasks.add(set);
  void vscode.commands.executeCommand('rolloutStudio.tasks.focus');
  return set;
}

/**
 * Rollout Studio: Validate Tasks… — `rollout validate` from the palette: for every task of a task file or
 * folder, in fresh Docker sandboxes, the gold patch must resolve it and an empty patch must not. The table goes
 * to the Rollout Studio output channel.
 */
export async function validateTaskSet(
  context: CommandContext,
  argument?: unknown,
): Promise<TaskValidation[] | undefined> {
  requireTrust('Validate Tasks');
  const source = argument === undefined ? await pickTaskSource(context) : await fileArgumentOrPick(argument, {});
  if (!source) return undefined;
  const { tasks, errors } = await loadTasks(source);
  for (const error of errors) context.log.warn(formatLoadError(error));
  if (tasks.length === 0) throw new Error(`Validate Tasks: no tasks loaded from ${source}`);
  const settings = context.settings();
  applyDockerHost(settings);
  const options = await dockerEvaluatorOptions({
    runId: `validate-${randomUUID()}`,
    onProgress: (line) => context.log.info(line),
  });
  context.log.info(`validating ${tasks.length} task(s) of ${source}, ${settings.workers} at a time`);
  const validations = await withProgress(
    `validating ${tasks.length} task(s)`,
    { cancellable: false },
    async (progress) =>
      validateTasks(tasks, {
        ...options,
        workers: settings.workers,
        onValidated: (validation) =>
          progress.report(`${validation.taskId}: ${validation.ok ? 'valid' : 'NOT valid'}`, 100 / tasks.length),
      }),
  );
  context.log.info(`validation of ${source}:\n${formatValidations(validations)}`);
  const valid = validations.filter((validation) => validation.ok).length;
  const message = `Rollout Studio: ${valid}/${validations.length} task(s) valid${errors.length ? `; ${errors.length} row(s) did not load` : ''}.`;
  const show =
    valid < validations.length || errors.length
      ? vscode.window.showWarningMessage
      : vscode.window.showInformationMessage;
  void show(message, 'Show Log').then((choice) => choice && context.log.show());
  return validations;
}

/** An open task set, the bundled examples, or another file or folder. */
async function pickTaskSource(context: CommandContext): Promise<string | undefined> {
  const other = 'Other file or folder…';
  const items = [
    ...context.tasks.taskSets.map((set) => ({ label: set.path, description: `${set.tasks.length} tasks` })),
    { label: exampleTasksFolder(), description: 'the bundled example tasks' },
    { label: other, description: 'SWE-bench JSON/JSONL, CodeAssistBench JSONL, or a task folder' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Validate which tasks?' });
  if (picked?.label !== other) return picked?.label;
  return fileArgumentOrPick(undefined, { canSelectFiles: true, canSelectFolders: true, title: 'Tasks to validate' });
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
