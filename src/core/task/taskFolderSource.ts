/**
 * The local task-folder format (docs/task-folder-format.md): `<id>/task.json`, `<id>/repo/`, optional
 * `<id>/gold.patch` and `<id>/test.patch`. A folder of such folders loads them all.
 */

import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { logParserName, type LogParserName } from '../reward/logParsers/index';
import { optionalString, requiredString, stringListField, type Row } from './rows';
import type { RepoSource } from '../sandbox/sandbox';
import { FolderNotFileError, NotUtf8Error, readJsonText, readUserFile } from '../textFile';
import { FieldError, type Task, type TaskLoadError, type TaskLoadResult, type TaskSource } from './task';

export const TASK_FILE = 'task.json';

export function isTaskFolder(path: string): boolean {
  return existsSync(join(path, TASK_FILE));
}

/** The log parser, in the field that keeps its first name. */
function logParser(row: Row): LogParserName {
  try {
    return logParserName(requiredString(row, 'test_framework'));
  } catch (error) {
    if (error instanceof FieldError) throw error;
    throw new FieldError('test_framework', (error as Error).message);
  }
}

async function optionalFile(path: string): Promise<string> {
  return existsSync(path) ? (await readUserFile(path)).toString('utf8') : '';
}

async function loadTaskFolder(folder: string): Promise<Task> {
  const text = await readJsonText(join(folder, TASK_FILE));
  let row: Row;
  try {
    row = JSON.parse(text) as Row;
  } catch (error) {
    throw new FieldError('', `invalid JSON: ${(error as Error).message}`);
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw new FieldError('', 'must hold a JSON object');
  const repoDir = join(folder, 'repo');
  if (!existsSync(repoDir) || !statSync(repoDir).isDirectory())
    throw new FieldError('repo', `folder ${repoDir} is missing`);
  return taskFromRow(
    row,
    { location: repoDir },
    {
      testPatch: await optionalFile(join(folder, 'test.patch')),
      goldPatch: await optionalFile(join(folder, 'gold.patch')),
    },
  );
}

/** A task.json row as a task of the repository at `repo`; a bad field is a `FieldError` naming it. */
export function taskFromRow(row: Row, repo: RepoSource, patches: Pick<Task, 'testPatch' | 'goldPatch'>): Task {
  return {
    id: requiredString(row, 'instance_id'),
    kind: 'folder',
    repo,
    problemStatement: requiredString(row, 'problem_statement'),
    hints: optionalString(row, 'hints_text') ?? '',
    language: requiredString(row, 'language').toLowerCase(),
    environment: {
      profile: optionalString(row, 'image') ? undefined : requiredString(row, 'profile'),
      image: optionalString(row, 'image'),
      install: stringListField(row, 'install', { required: false }),
      build: stringListField(row, 'build', { required: false }),
      testCommand: requiredString(row, 'test_command'),
      logParser: logParser(row),
    },
    ...patches,
    failToPass: stringListField(row, 'FAIL_TO_PASS', { required: true }),
    passToPass: stringListField(row, 'PASS_TO_PASS', { required: true }),
  };
}

export class TaskFolderSource implements TaskSource {
  readonly format = 'folder';

  async load(path: string): Promise<TaskLoadResult> {
    const root = resolve(path);
    const folders = isTaskFolder(root) ? [root] : await childTaskFolders(root);
    const tasks: Task[] = [];
    const errors: TaskLoadError[] = [];
    if (folders.length === 0) errors.push({ file: root, message: `no ${TASK_FILE} here nor in any sub-folder` });
    const firstFolder = new Map<string, string>();
    for (const folder of folders) {
      try {
        const task = await loadTaskFolder(folder);
        const first = firstFolder.get(task.id);
        if (first !== undefined)
          throw new FieldError('instance_id', `duplicate task id '${task.id}' (first in ${join(first, TASK_FILE)})`);
        firstFolder.set(task.id, folder);
        tasks.push(task);
      } catch (error) {
        errors.push(taskLoadError(folder, error));
      }
    }
    return { tasks, errors };
  }
}

/** The bad input that kept the task of `folder` from loading, as its own error; anything else is a fault, thrown. */
function taskLoadError(folder: string, error: unknown): TaskLoadError {
  if (error instanceof FieldError)
    return { file: join(folder, TASK_FILE), field: error.field || undefined, message: error.message };
  if (error instanceof FolderNotFileError) return { file: error.file, message: FolderNotFileError.reason };
  if (error instanceof NotUtf8Error) return { file: error.file, line: error.line, message: 'not UTF-8 text' };
  throw error;
}

async function childTaskFolders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && isTaskFolder(join(root, entry.name)))
    .map((entry) => join(root, entry.name))
    .sort();
}
