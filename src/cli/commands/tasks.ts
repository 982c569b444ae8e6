import { relative } from 'node:path';
import { Engine } from '../../core/sandbox/engine';
import { loadTasks } from '../../core/task/loadTasks';
import { instanceImage } from '../../core/task/instanceImages';
import { formatLoadError, hasTests, type Task } from '../../core/task/task';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';
import { SANDBOX_FLAGS, SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout tasks FILE_OR_DIR [--json] [--image-template T] [--namespace NS] [--docker-host ADDR]

Loads a task file (SWE-bench, Lite, Verified, Multilingual, SWE-Gym, SWE-smith, R2E-Gym, Multi-SWE-bench or
CodeAssistBench; JSON, JSONL or Parquet) or a task folder (or a folder of them) and lists its tasks with the
image each runs in and whether the engine has it, then the count per dataset. Bad rows are reported by file,
line (or Parquet row) and field; the exit code is 0 only if every row loaded.

options:
${SANDBOX_USAGE}`;

interface Listed {
  task: Task;
  image?: string;
  /** Whether the engine holds the image; undefined when the engine could not be asked. */
  present?: boolean;
}

function repository(task: Task): string {
  return task.repo.name
    ? `${task.repo.name}${task.repo.commit ? `@${task.repo.commit.slice(0, 8)}` : ''}`
    : relative(process.cwd(), task.repo.location) || '.';
}

function imageState(listed: Listed): string {
  if (!listed.image) return '-';
  return listed.present === undefined ? '?' : listed.present ? 'present' : 'missing';
}

function table(listed: Listed[]): string {
  const rows = [
    ['ID', 'DATASET', 'REPOSITORY', 'LANGUAGE', 'TESTS', 'IMAGE'],
    ...listed.map(({ task, ...image }) => [
      task.id,
      task.dataset ?? task.kind,
      repository(task),
      task.language ?? '-',
      hasTests(task) ? 'yes' : 'no',
      imageState({ task, ...image }),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '),
    )
    .join('\n');
}

/** Per dataset: how many tasks, and how many of their images the engine holds. */
function counts(listed: Listed[]): string[] {
  const byDataset = new Map<string, Listed[]>();
  for (const entry of listed) {
    const dataset = entry.task.dataset ?? entry.task.kind;
    byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), entry]);
  }
  return [...byDataset].map(([dataset, entries]) => {
    const images = new Set(entries.flatMap((entry) => (entry.image ? [entry.image] : [])));
    const present = new Set(entries.flatMap((entry) => (entry.present ? [entry.image] : [])));
    const known = entries.every((entry) => !entry.image || entry.present !== undefined);
    const imageNote = images.size === 0 ? '' : `, images present ${known ? present.size : '?'}/${images.size}`;
    return `${dataset}: ${entries.length} task(s)${imageNote}`;
  });
}

export const tasksCommand: CliCommand = {
  summary: 'load a task file or folder (SWE-bench family, CodeAssistBench, task folders) and list its tasks',
  async run(args) {
    const parsed = parseCommandLine(
      { command: 'tasks', usage: USAGE, positionals: true, options: { json: { type: 'boolean' }, ...SANDBOX_FLAGS } },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      console.error(USAGE);
      return 2;
    }
    const { tasks, errors } = await loadTasks(positionals[0]);
    const { instanceImages, dockerHost } = sandboxSettings(values);
    // Only instance images are listed: the profile images are the same few for every task (`rollout images`).
    const listed: Listed[] = tasks.map((task) => ({ task, image: instanceImage(task, instanceImages) }));
    let engineNote: string | undefined;
    if (listed.some((entry) => entry.image)) {
      try {
        const local = await Engine.at(dockerHost).localImageNames();
        for (const entry of listed) if (entry.image) entry.present = local.has(entry.image);
      } catch (error) {
        engineNote = `images not checked: ${(error as Error).message.split('\n')[0]}`;
      }
    }
    if (values.json) {
      const rows = listed.map(({ task, image, present }) => ({
        id: task.id,
        kind: task.kind,
        dataset: task.dataset ?? task.kind,
        repository: repository(task),
        language: task.language ?? null,
        has_tests: hasTests(task),
        image: image ?? null,
        image_present: present ?? null,
      }));
      console.log(JSON.stringify({ tasks: rows, errors }, null, 2));
    } else {
      if (tasks.length > 0) console.log(table(listed));
      console.log(`${tasks.length} task(s) loaded${errors.length ? `, ${errors.length} row(s) did not load` : ''}`);
      for (const line of counts(listed)) console.log(line);
      if (engineNote) console.log(engineNote);
      for (const error of errors) console.error(formatLoadError(error));
    }
    return errors.length === 0 ? 0 : 1;
  },
};
