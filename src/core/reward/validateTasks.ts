/**
 * Checks that tasks are well posed, as SWE-bench validates its instances: with the gold patch every
 * FAIL_TO_PASS and PASS_TO_PASS test passes; with an empty patch every FAIL_TO_PASS test fails and every
 * PASS_TO_PASS test still passes.
 */

import type { Task } from '../task/task';
import { mapWithWorkers } from '../concurrency';
import { evaluatePrediction, type EvaluationResult, type EvaluatorOptions } from './evaluator';

export interface TaskValidation {
  taskId: string;
  gold: EvaluationResult;
  empty: EvaluationResult;
  ok: boolean;
  /** Every way the task falls short, in words. */
  problems: string[];
}

const VALIDATION_MODEL = 'rollout-validate';

function problemsOf(task: Task, gold: EvaluationResult, empty: EvaluationResult): string[] {
  const problems: string[] = [];
  if (task.goldPatch.trim() === '') problems.push('no gold patch');
  if (task.failToPass.length === 0) problems.push('FAIL_TO_PASS is empty');
  for (const [name, result] of [
    ['gold', gold],
    ['empty', empty],
  ] as const) {
    if (result.status !== 'resolved' && result.status !== 'unresolved')
      problems.push(`${name} patch: ${result.status}: ${result.error?.split('\n')[0]}`);
    else if (!result.report?.tests_status)
      problems.push(`${name} patch: the test log was not graded: ${result.error?.split('\n')[0]}`);
  }
  const goldTests = gold.report?.tests_status;
  if (gold.status === 'unresolved' && goldTests) {
    const failing = [...goldTests.FAIL_TO_PASS.failure, ...goldTests.PASS_TO_PASS.failure];
    problems.push(`gold patch leaves failing: ${failing.join(', ')}`);
  }
  const emptyTests = empty.report?.tests_status;
  if (empty.status === 'resolved') problems.push('the empty patch resolves the task');
  else if (empty.status === 'unresolved' && emptyTests) {
    if (emptyTests.FAIL_TO_PASS.success.length)
      problems.push(`FAIL_TO_PASS passing without the fix: ${emptyTests.FAIL_TO_PASS.success.join(', ')}`);
    if (emptyTests.PASS_TO_PASS.failure.length)
      problems.push(`PASS_TO_PASS failing without the fix: ${emptyTests.PASS_TO_PASS.failure.join(', ')}`);
  }
  return problems;
}

export async function validateTasks(
  tasks: Task[],
  options: EvaluatorOptions & { workers: number; onValidated?: (validation: TaskValidation) => void },
): Promise<TaskValidation[]> {
  const jobs = tasks.flatMap((task) => [
    { task, patch: task.goldPatch },
    { task, patch: '' },
  ]);
  const results = await mapWithWorkers(jobs, options.workers, ({ task, patch }) =>
    evaluatePrediction(
      task,
      { instanceId: task.id, modelName: VALIDATION_MODEL, patch },
      { ...options, evaluateEmptyPatch: true },
    ),
  );
  return tasks.map((task, index) => {
    const gold = results[2 * index];
    const empty = results[2 * index + 1];
    const problems = problemsOf(task, gold, empty);
    const validation = { taskId: task.id, gold, empty, ok: problems.length === 0, problems };
    options.onValidated?.(validation);
    return validation;
  });
}

/** The validation as a table, one row a task, then each problem and the count of valid tasks. */
export function formatValidations(validations: TaskValidation[]): string {
  const rows = [
    ['TASK', 'GOLD', 'EMPTY', 'VALID'],
    ...validations.map((v) => [v.taskId, v.gold.status, v.empty.status, v.ok ? 'yes' : 'NO']),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  const problems = validations.flatMap((v) => v.problems.map((problem) => `  ${v.taskId}: ${problem}`));
  return [
    ...lines,
    ...(problems.length ? ['', 'problems:', ...problems] : []),
    '',
    `${validations.filter((v) => v.ok).length}/${validations.length} task(s) valid`,
  ].join('\n');
}
