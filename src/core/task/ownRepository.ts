/**
 * A repository of the user's own as a task: the folder at its HEAD commit, an issue text and the tests that
 * must pass (FAIL_TO_PASS), graded by the repository's own tests, where PASS_TO_PASS is what passes at HEAD.
 * The task is a task folder's row (docs/task-folder-format.md) and can be saved as one.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { evaluatePrediction, type EvaluationResult, type EvaluatorOptions } from '../reward/evaluator';
import type { Row } from './rows';
import type { Task } from './task';
import { TASK_FILE, taskFromRow } from './taskFolderSource';

const run = promisify(execFile);

export interface OwnRepositoryTaskInput {
  /** The repository's folder: its HEAD commit is the task's base state (uncommitted changes are not part of it). */
  folder: string;
  id: string;
  issue: string;
  /** Tests that must pass once the issue is fixed, by the test framework's ids; may be empty. */
  failToPass: string[];
  language: string;
  /** The sandbox image profile (`python`, `node`, `go`). */
  profile: string;
  install?: string[];
  testCommand: string;
  /** The log parser that reads the test command's output (docs/task-folder-format.md). */
  testFramework: string;
}

/** The test set-up a repository most likely has, from the files at its root; the user confirms or edits it. */
export function guessTestSetup(
  folder: string,
): Pick<OwnRepositoryTaskInput, 'language' | 'profile' | 'testCommand' | 'testFramework'> {
  const has = (name: string) => existsSync(join(folder, name));
  if (has('go.mod')) return { language: 'go', profile: 'go', testCommand: 'go test -v ./...', testFramework: 'gotest' };
  if (has('package.json') && !has('pyproject.toml') && !has('setup.py'))
    return {
      language: 'javascript',
      profile: 'node',
      testCommand: 'node --test --test-reporter=tap',
      testFramework: 'node-tap',
    };
  return {
    language: 'python',
    profile: 'python',
    testCommand: 'python3 -m pytest -rA -p no:cacheprovider',
    testFramework: 'pytest',
  };
}

/** The folder's HEAD commit; an error when it is no git repository or has no commit yet. */
export async function headCommit(folder: string): Promise<string> {
  try {
    return (await run('git', ['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: folder })).stdout.trim();
  } catch {
    throw new Error(`${folder} is no git repository with a commit: the task's base state is its HEAD commit`);
  }
}

/** The task's task.json row. */
export function ownRepositoryRow(input: OwnRepositoryTaskInput, passToPass: string[]): Row {
  return {
    instance_id: input.id,
    problem_statement: input.issue,
    language: input.language,
    profile: input.profile,
    ...(input.install?.length ? { install: input.install } : {}),
    test_command: input.testCommand,
    test_framework: input.testFramework,
    FAIL_TO_PASS: input.failToPass,
    PASS_TO_PASS: passToPass,
  };
}

export interface OwnRepositoryTask {
  task: Task;
  row: Row;
  /** The test run at HEAD that PASS_TO_PASS was read from. */
  baseline: EvaluationResult;
}

/**
 * The task, after running the repository's tests at HEAD in a sandbox (as the grader runs them): every test
 * that passes there and is not in FAIL_TO_PASS must keep passing. Tests that did not run are an error.
 */
export async function ownRepositoryTask(
  input: OwnRepositoryTaskInput,
  evaluator: EvaluatorOptions,
): Promise<OwnRepositoryTask> {
  const repo = { location: input.folder, commit: await headCommit(input.folder) };
  const patches = { testPatch: '', goldPatch: '' };
  const atHead = taskFromRow(ownRepositoryRow(input, []), repo, patches);
  const baseline = await evaluatePrediction(
    atHead,
    { instanceId: atHead.id, modelName: 'rollout-baseline', patch: '' },
    { ...evaluator, evaluateEmptyPatch: true },
  );
  if (!baseline.testStatuses)
    throw new Error(
      `the tests of ${input.folder} did not run at HEAD (${baseline.status}): ${baseline.error?.split('\n')[0] ?? 'no test output was read'}`,
    );
  const passToPass = Object.entries(baseline.testStatuses)
    .filter(([id, status]) => (status === 'PASSED' || status === 'XFAIL') && !input.failToPass.includes(id))
    .map(([id]) => id);
  const row = ownRepositoryRow(input, passToPass);
  return { task: taskFromRow(row, repo, patches), row, baseline };
}

/** Saves the task as a task folder: `task.json` and `repo/` holding the files of the HEAD commit (no .git). */
export async function saveOwnRepositoryTask(task: OwnRepositoryTask, target: string): Promise<void> {
  if (existsSync(join(target, TASK_FILE))) throw new Error(`${join(target, TASK_FILE)} exists; choose an empty folder`);
  const repoDir = join(target, 'repo');
  await mkdir(repoDir, { recursive: true });
  const commit = task.task.repo.commit ?? 'HEAD';
  await run('sh', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'archive', commit, repoDir], {
    cwd: task.task.repo.location,
  });
  await writeFile(join(target, TASK_FILE), `${JSON.stringify(task.row, null, 2)}\n`);
}
