import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { describeLogGrade, gradeLog, type LogGrade } from '../../core/reward/gradeTask';
import { TEST_OUTPUT_MARKERS } from '../../core/reward/testOutput';
import { loadTasksStrict } from '../../core/task/loadTasks';
import type { CommandContext } from './context';
import { fileArgumentOrPick } from './pick';

interface GradeRequest {
  tasks?: string;
  instance?: string;
  log?: string;
}

/**
 * Rollout Studio: Grade Test Log… — one test log graded as the SWE-bench harness would, by the same function
 * as `rollout grade`; the report goes to the log and the resolution to a notification.
 */
export async function gradeTestLog(context: CommandContext, argument?: unknown): Promise<LogGrade | undefined> {
  const request = (argument as GradeRequest | undefined) ?? {};
  const tasksFile =
    request.tasks ?? (await fileArgumentOrPick(undefined, { canSelectFiles: true, title: 'Tasks the log belongs to' }));
  if (!tasksFile) return undefined;
  const tasks = await loadTasksStrict(tasksFile);
  const instance =
    request.instance ??
    (await vscode.window.showQuickPick(
      tasks.map((task) => task.id),
      { title: 'Instance the log is of' },
    ));
  const task = tasks.find((candidate) => candidate.id === instance);
  if (!task) return undefined;
  const logFile =
    request.log ?? (await fileArgumentOrPick(undefined, { canSelectFiles: true, title: 'Test log (test_output.txt)' }));
  if (!logFile) return undefined;
  const log = await readFile(logFile, 'utf8');
  // A log without the harness's markers is a test runner's own output, read whole.
  const raw = !log.includes(TEST_OUTPUT_MARKERS.start) && !log.includes(TEST_OUTPUT_MARKERS.end);
  const grade = await gradeLog(task, log, { raw });
  context.log.info(`graded ${logFile}\n${describeLogGrade(grade)}`);
  void vscode.window
    .showInformationMessage(`Rollout Studio: ${task.id}: ${grade.resolution ?? 'not graded'}`, 'Show Report')
    .then((choice) => choice && context.log.show());
  return grade;
}
