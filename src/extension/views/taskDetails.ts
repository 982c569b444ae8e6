/** A task's details as a Markdown document, opened when a task is clicked in the Tasks view. Pure: no vscode. */
import type { Task } from '../../core/task/task';
import type { RunIndexEntry } from '../../core/trajectory/runIndex';
import { describeRun } from './runLabel';

const LISTED_TESTS = 20;

export function taskDetailsMarkdown(task: Task, setPath: string, runs: readonly RunIndexEntry[]): string {
  const ownRuns = runs.filter((run) => run.task_id === task.id);
  const lines = [
    `# ${task.id}`,
    '',
    `- Kind: ${task.kind}${task.cab?.category ? ` (${task.cab.category})` : ''}`,
    `- Repository: ${task.repo.name ?? task.repo.location}${task.repo.commit ? ` at ${task.repo.commit}` : ''}`,
    ...(task.environment?.image ? [`- Image: ${task.environment.image}`] : []),
    ...(task.cab?.url ? [`- Issue: ${task.cab.url}`] : []),
    `- Task set: ${setPath}`,
    `- Runs: ${ownRuns.length === 0 ? 'none yet' : ownRuns.length}`,
    '',
    '## Problem statement',
    '',
    task.problemStatement,
    ...testSection('Tests that must pass (FAIL_TO_PASS)', task.failToPass),
    ...testSection('Tests that must keep passing (PASS_TO_PASS)', task.passToPass),
    ...(task.cab?.satisfactionConditions.length
      ? ['', '## Satisfaction conditions', '', ...task.cab.satisfactionConditions.map((condition) => `- ${condition}`)]
      : []),
    ...(ownRuns.length
      ? [
          '',
          '## Runs',
          '',
          ...ownRuns.map((run) => `- ${run.run_id} (attempt ${run.attempt + 1}, ${run.policy}): ${describeRun(run)}`),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

function testSection(title: string, tests: readonly string[]): string[] {
  if (tests.length === 0) return [];
  const shown = tests.slice(0, LISTED_TESTS).map((test) => `- \`${test}\``);
  const more = tests.length > LISTED_TESTS ? [`- … and ${tests.length - LISTED_TESTS} more`] : [];
  return ['', `## ${title}: ${tests.length}`, '', ...shown, ...more];
}
