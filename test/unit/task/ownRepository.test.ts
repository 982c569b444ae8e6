import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  guessTestSetup,
  headCommit,
  ownRepositoryRow,
  saveOwnRepositoryTask,
} from '../../../src/core/task/ownRepository';
import { TaskFolderSource, taskFromRow } from '../../../src/core/task/taskFolderSource';

describe('a repository of your own as a task', () => {
  let root: string;
  let repo: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rollout-own-repo-test-'));
    repo = join(root, 'calc');
    mkdirSync(repo);
    writeFileSync(join(repo, 'pyproject.toml'), '[project]\nname = "calc"\n');
    writeFileSync(join(repo, 'calc.py'), 'def add(a, b):\n    return a - b\n');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
    git('init', '--quiet');
    git('add', '-A');
    git('commit', '--quiet', '-m', 'base');
    writeFileSync(join(repo, 'calc.py'), 'uncommitted\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('guesses the test set-up from the files at the root', () => {
    assert.equal(guessTestSetup(repo).testFramework, 'pytest');
    const go = join(root, 'go-repo');
    mkdirSync(go);
    writeFileSync(join(go, 'go.mod'), 'module x\n');
    assert.deepEqual(guessTestSetup(go), {
      language: 'go',
      profile: 'go',
      testCommand: 'go test -v ./...',
      testFramework: 'gotest',
    });
  });

  test('its base state is the HEAD commit; a folder without one is an error naming it', async () => {
    assert.match(await headCommit(repo), /^[0-9a-f]{40}$/);
    const plain = join(root, 'plain');
    mkdirSync(plain);
    await assert.rejects(headCommit(plain), /plain is no git repository with a commit/);
  });

  test('is a task folder row, saved with the files of HEAD (not the uncommitted ones) and loaded back', async () => {
    const input = {
      folder: repo,
      id: 'calc__own-1',
      issue: 'add subtracts',
      failToPass: ['test_calc.py::test_add'],
      ...guessTestSetup(repo),
    };
    const row = ownRepositoryRow(input, ['test_calc.py::test_sub']);
    const commit = await headCommit(repo);
    const task = taskFromRow(row, { location: repo, commit }, { testPatch: '', goldPatch: '' });
    assert.equal(task.environment?.logParser, 'pytest');
    const target = join(root, 'saved');
    await saveOwnRepositoryTask({ task, row, baseline: undefined as never }, target);
    assert.equal(readFileSync(join(target, 'repo', 'calc.py'), 'utf8'), 'def add(a, b):\n    return a - b\n');
    assert.ok(!existsSync(join(target, 'repo', '.git')));
    const loaded = await new TaskFolderSource().load(target);
    assert.deepEqual(loaded.errors, []);
    assert.deepEqual(
      { ...loaded.tasks[0], repo: undefined },
      { ...task, repo: undefined },
      'the saved folder loads as the same task',
    );
    await assert.rejects(saveOwnRepositoryTask({ task, row, baseline: undefined as never }, target), /exists/);
  });
});
