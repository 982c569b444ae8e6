// The bundled example tasks (tasks/examples): each folder is complete, its patches parse and apply
// exactly to its repository, and its test lists are well formed. Whether the tests really fail and
// pass in containers is checked by test/integration/reward/validateExamples.test.ts (and `rollout validate`).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { applyFilePatch, parseUnifiedDiff, type FilePatch } from './unifiedDiff';

const EXAMPLES = join(process.cwd(), 'tasks', 'examples');

interface ExampleTask {
  instance_id: string;
  problem_statement: string;
  hints_text: string;
  language: string;
  profile: string;
  test_command: string;
  test_framework: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
}

/** What each language's tasks must declare, and how their test command must start. */
const TOOLCHAINS: Record<string, { profile: string; framework: string; command: RegExp }> = {
  python: { profile: 'python', framework: 'pytest', command: /^python3 -m pytest -rA -p no:cacheprovider \S/ },
  javascript: { profile: 'node', framework: 'node-tap', command: /^node --test --test-reporter=tap \S/ },
  go: { profile: 'go', framework: 'gotest', command: /^GOCACHE=\S+ go test -v \.\/\.\.\.$/ },
};

const MINIMUM_PER_LANGUAGE: Record<string, number> = { python: 4, javascript: 3, go: 2 };

const taskIds = readdirSync(EXAMPLES)
  .filter((name) => existsSync(join(EXAMPLES, name, 'task.json')))
  .sort();

function readTask(id: string): ExampleTask {
  return JSON.parse(readFileSync(join(EXAMPLES, id, 'task.json'), 'utf8')) as ExampleTask;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The repository as path → text, relative to its root. */
function repoFiles(id: string): Map<string, string> {
  const root = join(EXAMPLES, id, 'repo');
  return new Map(filesUnder(root).map((path) => [relative(root, path), readFileSync(path, 'utf8')]));
}

function readPatch(id: string, name: string): FilePatch[] {
  const path = join(EXAMPLES, id, name);
  return parseUnifiedDiff(readFileSync(path, 'utf8'), path);
}

/** Applies patches in order to a copy of the files; throws where one does not apply exactly. */
function applyPatches(files: Map<string, string>, ...patches: FilePatch[][]): Map<string, string> {
  const result = new Map(files);
  for (const filePatch of patches.flat()) {
    const path = filePatch.oldPath ?? filePatch.newPath ?? '';
    const changed = applyFilePatch(result.get(path), filePatch);
    result.delete(path);
    if (filePatch.newPath !== null) result.set(filePatch.newPath, changed);
  }
  return result;
}

function isTestFile(path: string): boolean {
  return /(^|\/)tests?\//.test(path) || /_test\.go$/.test(path) || /\.test\.[cm]?js$/.test(path);
}

function touchedPaths(patch: FilePatch[]): string[] {
  return patch.map((file) => file.newPath ?? file.oldPath ?? '');
}

/** Where the runner's name for a test is written in the test source. */
function declaration(framework: string, id: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (framework === 'pytest') return new RegExp(`def ${escape(id.split('::')[1].replace(/\[.*\]$/, ''))}\\(`);
  if (framework === 'gotest') return new RegExp(`func ${escape(id)}\\(t \\*testing\\.T\\)`);
  const names = id.split(' > ');
  return new RegExp(names.map((name) => `(?:describe|test|it)\\('${escape(name)}'`).join('[^]*'));
}

test('the bundled examples load with the task-folder loader, without errors', async () => {
  const { tasks, errors } = await loadTasks(EXAMPLES);
  assert.deepEqual(errors, []);
  assert.deepEqual(tasks.map((task) => task.id).sort(), taskIds);
  assert.ok(taskIds.length >= 9, `only ${taskIds.length} example tasks`);
  for (const [language, minimum] of Object.entries(MINIMUM_PER_LANGUAGE)) {
    const count = tasks.filter((task) => task.language === language).length;
    assert.ok(count >= minimum, `${count} ${language} tasks, want at least ${minimum}`);
  }
});

test('the examples include a multi-file gold patch and a naive patch', () => {
  assert.ok(
    taskIds.some((id) => readPatch(id, 'gold.patch').length > 1),
    'no gold patch changes more than one file',
  );
  assert.ok(
    taskIds.some((id) => existsSync(join(EXAMPLES, id, 'naive.patch'))),
    'no task has a naive.patch',
  );
});

test('the README indexes every example task', () => {
  const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
  for (const id of taskIds) assert.ok(readme.includes(`\`${id}\``), `tasks/examples/README.md does not list ${id}`);
});

for (const id of taskIds) {
  describe(`example task ${id}`, () => {
    const task = readTask(id);

    test('task.json has every field of the format, consistent with its language', () => {
      assert.equal(task.instance_id, id);
      for (const field of ['problem_statement', 'language', 'profile', 'test_command', 'test_framework'] as const) {
        assert.equal(typeof task[field], 'string', `field ${field}`);
        assert.ok(task[field].trim().length > 0, `field ${field} is empty`);
      }
      assert.equal(task.hints_text, '');
      const toolchain = TOOLCHAINS[task.language];
      assert.ok(toolchain, `language ${task.language} is not one of ${Object.keys(TOOLCHAINS).join(', ')}`);
      assert.equal(task.profile, toolchain.profile);
      assert.equal(task.test_framework, toolchain.framework);
      assert.match(task.test_command, toolchain.command);
    });

    test('FAIL_TO_PASS and PASS_TO_PASS are non-empty, without duplicates, and disjoint', () => {
      for (const field of ['FAIL_TO_PASS', 'PASS_TO_PASS'] as const) {
        assert.ok(Array.isArray(task[field]) && task[field].length > 0, `${field} is empty`);
        assert.ok(
          task[field].every((testId) => typeof testId === 'string' && testId.trim() === testId && testId !== ''),
          `${field} holds a blank id`,
        );
        assert.equal(new Set(task[field]).size, task[field].length, `${field} repeats an id`);
      }
      const both = task.FAIL_TO_PASS.filter((testId) => task.PASS_TO_PASS.includes(testId));
      assert.deepEqual(both, [], 'ids in both lists');
    });

    test('the repository has a README and source, and no .git folder', () => {
      const files = repoFiles(id);
      assert.ok(files.has('README.md'));
      assert.ok(
        [...files.keys()].some((path) => !isTestFile(path) && /\.(py|js|go)$/.test(path)),
        'no source files',
      );
      assert.ok([...files.keys()].some(isTestFile), 'no existing tests');
      assert.ok(![...files.keys()].some((path) => path.startsWith('.git/')));
    });

    test('gold.patch applies exactly to the repository and changes no test file', () => {
      const gold = readPatch(id, 'gold.patch');
      assert.deepEqual(touchedPaths(gold).filter(isTestFile), []);
      applyPatches(repoFiles(id), gold);
    });

    test('test.patch applies with and without the gold patch and changes only test files', () => {
      const tests = readPatch(id, 'test.patch');
      assert.deepEqual(
        touchedPaths(tests).filter((path) => !isTestFile(path)),
        [],
      );
      applyPatches(repoFiles(id), tests);
      applyPatches(repoFiles(id), readPatch(id, 'gold.patch'), tests);
    });

    test('every listed test is declared in the patched tests, and the test command runs its file', () => {
      const files = applyPatches(repoFiles(id), readPatch(id, 'test.patch'));
      const testSources = [...files].filter(([path]) => isTestFile(path));
      for (const testId of [...task.FAIL_TO_PASS, ...task.PASS_TO_PASS]) {
        const declaredIn = testSources
          .filter(([, text]) => declaration(task.test_framework, testId).test(text))
          .map(([path]) => path);
        assert.ok(declaredIn.length > 0, `no test file declares ${testId}`);
        if (task.test_framework === 'pytest')
          assert.equal(declaredIn.includes(testId.split('::')[0]), true, `${testId} is declared elsewhere`);
        if (task.test_framework !== 'gotest') {
          assert.ok(
            declaredIn.some((path) => task.test_command.split(' ').includes(path)),
            `the test command does not run the file of ${testId}`,
          );
        }
      }
    });

    test('every FAIL_TO_PASS test is added or changed by test.patch', () => {
      const added = readPatch(id, 'test.patch')
        .flatMap((file) => file.hunks.flatMap((hunk) => hunk.lines.filter((line) => line.startsWith('+'))))
        .map((line) => line.slice(1))
        .join('\n');
      for (const testId of task.FAIL_TO_PASS) {
        const leaf = task.test_framework === 'node-tap' ? (testId.split(' > ').pop() ?? testId) : testId;
        assert.match(added, declaration(task.test_framework, leaf), `test.patch does not add ${testId}`);
      }
    });

    if (existsSync(join(EXAMPLES, id, 'naive.patch'))) {
      test('naive.patch applies, changes no test file, and differs from the gold patch', () => {
        const naive = readPatch(id, 'naive.patch');
        assert.deepEqual(touchedPaths(naive).filter(isTestFile), []);
        const fixedNaively = applyPatches(repoFiles(id), naive);
        const fixed = applyPatches(repoFiles(id), readPatch(id, 'gold.patch'));
        assert.notDeepEqual(fixedNaively, fixed);
      });
    }
  });
}
