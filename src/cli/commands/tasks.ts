import { relative } from 'node:path';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError, hasTests, type Task } from '../../core/task/task';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';

const USAGE = `usage: rollout tasks FILE_OR_DIR [--json]

Loads a SWE-bench JSON/JSONL file, a CodeAssistBench JSONL file, or a task folder (or a folder of them)
and lists its tasks. Bad rows are reported by file, line and field; the exit code is 0 only if every row loaded.`;

function repository(task: Task): string {
  return task.repo.name
    ? `${task.repo.name}${task.repo.commit ? `@${task.repo.commit.slice(0, 8)}` : ''}`
    : relative(process.cwd(), task.repo.location) || '.';
}

function table(tasks: Task[]): string {
  const rows = [
    ['ID', 'KIND', 'REPOSITORY', 'LANGUAGE', 'TESTS'],
    ...tasks.map((task) => [task.id, task.kind, repository(task), task.language ?? '-', hasTests(task) ? 'yes' : 'no']),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '),
    )
    .join('\n');
}

export const tasksCommand: CliCommand = {
  summary: 'load a task file or folder (SWE-bench, CodeAssistBench, task folders) and list its tasks',
  async run(args) {
    const parsed = parseCommandLine(
      { command: 'tasks', usage: USAGE, positionals: true, options: { json: { type: 'boolean' } } },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      console.error(USAGE);
      return 2;
    }
    const { tasks, errors } = await loadTasks(positionals[0]);
    if (values.json) {
      const listed = tasks.map((task) => ({
        id: task.id,
        kind: task.kind,
        repository: repository(task),
        language: task.language ?? null,
        has_tests: hasTests(task),
      }));
      console.log(JSON.stringify({ tasks: listed, errors }, null, 2));
    } else {
      if (tasks.length > 0) console.log(table(tasks));
      console.log(`${tasks.length} task(s) loaded${errors.length ? `, ${errors.length} row(s) did not load` : ''}`);
      for (const error of errors) console.error(formatLoadError(error));
    }
    return errors.length === 0 ? 0 : 1;
  },
};
