import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { formatLoadError } from '../../../src/core/task/task';

const GOLD =
  'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-def add(a, b): return a - b\n+def add(a, b): return a + b\n';
const TESTS =
  'diff --git a/test_calc.py b/test_calc.py\nnew file mode 100644\n--- /dev/null\n+++ b/test_calc.py\n@@ -0,0 +1,2 @@\n+from calc import add\n+def test_add(): assert add(1, 2) == 3\n';

function writeTaskFolder(root: string, id: string, overrides: Record<string, unknown> = {}): string {
  const folder = join(root, id);
  mkdirSync(join(folder, 'repo'), { recursive: true });
  writeFileSync(join(folder, 'repo', 'calc.py'), 'def add(a, b): return a - b\n');
  const task = {
    instance_id: id,
    problem_statement: 'add() subtracts',
    language: 'python',
    profile: 'python',
    test_command: 'python3 -m pytest -rA test_calc.py',
    test_framework: 'pytest',
    FAIL_TO_PASS: ['test_calc.py::test_add'],
    PASS_TO_PASS: [],
    ...overrides,
  };
  writeFileSync(join(folder, 'task.json'), JSON.stringify(task, null, 2));
  writeFileSync(join(folder, 'gold.patch'), GOLD);
  writeFileSync(join(folder, 'test.patch'), TESTS);
  return folder;
}

describe('task-folder loader', () => {
  test('loads one task folder with its repo, patches and environment', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollout-folder-'));
    const folder = writeTaskFolder(root, 'calc-add');
    const { tasks, errors } = await loadTasks(folder);
    assert.deepEqual(errors, []);
    assert.deepEqual(tasks[0], {
      id: 'calc-add',
      kind: 'folder',
      repo: { location: join(folder, 'repo') },
      problemStatement: 'add() subtracts',
      hints: '',
      language: 'python',
      environment: {
        profile: 'python',
        image: undefined,
        install: [],
        build: [],
        testCommand: 'python3 -m pytest -rA test_calc.py',
        logParser: 'pytest',
      },
      testPatch: TESTS,
      goldPatch: GOLD,
      failToPass: ['test_calc.py::test_add'],
      passToPass: [],
    });
  });

  test('a folder of task folders loads them all; a bad one is named by its task.json and field', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollout-folder-'));
    writeTaskFolder(root, 'a-task');
    writeTaskFolder(root, 'b-task', { test_framework: 'mocha' });
    writeTaskFolder(root, 'c-task');
    mkdirSync(join(root, 'not-a-task'));
    const { tasks, errors } = await loadTasks(root);
    assert.deepEqual(
      tasks.map((task) => task.id),
      ['a-task', 'c-task'],
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0].file, join(root, 'b-task', 'task.json'));
    assert.equal(errors[0].field, 'test_framework');
    assert.match(errors[0].message, /'mocha' is not a log parser \(known: pytest, /);
  });

  test("a folder in place of a task folder's file is that task's error, naming it; the other tasks load", async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollout-folder-'));
    writeTaskFolder(root, 'a-task');
    for (const [id, file] of [
      ['j-task', 'task.json'],
      ['k-task', 'gold.patch'],
    ]) {
      rmSync(join(writeTaskFolder(root, id), file));
      mkdirSync(join(root, id, file));
    }
    const { tasks, errors } = await loadTasks(root);
    assert.deepEqual(
      tasks.map((task) => task.id),
      ['a-task'],
    );
    assert.deepEqual(errors.map(formatLoadError), [
      `${join(root, 'j-task', 'task.json')}: is a folder, expected a file`,
      `${join(root, 'k-task', 'gold.patch')}: is a folder, expected a file`,
    ]);
    assert.deepEqual((await loadTasks(join(root, 'k-task'))).errors, [errors[1]], 'the one task folder alone');
  });

  test("a task.json that is not UTF-8 is that task's error, naming its line; the other tasks load", async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollout-folder-'));
    writeTaskFolder(root, 'a-task');
    const taskFile = join(writeTaskFolder(root, 'b-task'), 'task.json');
    writeFileSync(taskFile, Buffer.concat([readFileSync(taskFile).subarray(0, 40), Buffer.from([0xff, 0xfe])]));
    const { tasks, errors } = await loadTasks(root);
    assert.deepEqual(
      tasks.map((task) => task.id),
      ['a-task'],
    );
    assert.deepEqual(errors, [{ file: taskFile, line: 3, message: 'not UTF-8 text' }]);
  });

  test('duplicate ids across folders are reported', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollout-folder-'));
    writeTaskFolder(root, 'one', { instance_id: 'same' });
    writeTaskFolder(root, 'two', { instance_id: 'same' });
    const { errors } = await loadTasks(root);
    assert.match(errors[0].message, /duplicate task id 'same'/);
  });

  test('an empty folder is an error, not an empty success', async () => {
    const { tasks, errors } = await loadTasks(mkdtempSync(join(tmpdir(), 'rollout-folder-')));
    assert.equal(tasks.length, 0);
    assert.match(errors[0].message, /no task.json/);
  });
});
