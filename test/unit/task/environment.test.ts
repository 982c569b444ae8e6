import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentFor, filesInPatch, loadEnvironmentSpecs, testCommandFor } from '../../../src/core/task/environment';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { fixture } from './fixturePaths';

function specFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-spec-')), 'specs.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('environment specs', () => {
  test('a SWE-bench task without a spec gets the Python defaults, testing the files of its test patch', async () => {
    const { tasks } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const pytestTask = tasks.find((task) => task.id === 'pytest-dev__pytest-11143');
    assert.ok(pytestTask);
    const environment = environmentFor(pytestTask);
    assert.equal(environment.profile, 'python');
    assert.equal(environment.testFramework, 'pytest');
    assert.equal(
      testCommandFor(environment, pytestTask),
      'python3 -m pytest -rA -p no:cacheprovider testing/test_assertrewrite.py',
    );
  });

  test('a per-repo spec, and its per-version entry, override the defaults', async () => {
    const specs = await loadEnvironmentSpecs(
      specFile({
        'django/django': {
          install: ['python3 -m pip install -e .'],
          test_command: './tests/runtests.py --verbosity 2 {test_files}',
          test_framework: 'unittest',
          versions: { '4.2': { image: 'my-registry/django:4.2' } },
        },
      }),
    );
    const { tasks } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const django = tasks.find((task) => task.id === 'django__django-16255');
    assert.ok(django);
    assert.deepEqual(environmentFor(django, specs), {
      profile: undefined,
      image: 'my-registry/django:4.2',
      install: ['python3 -m pip install -e .'],
      testCommand: './tests/runtests.py --verbosity 2 {test_files}',
      testFramework: 'unittest',
    });
  });

  test('a bad spec names the file and field', async () => {
    const file = specFile({ 'a/b': { test_framework: 'mocha' } });
    await assert.rejects(
      loadEnvironmentSpecs(file),
      (error: Error) => error.message.includes(file) && error.message.includes("field 'a/b.test_framework'"),
    );
  });

  test('a language without defaults and without a spec is refused with the fix', async () => {
    const { tasks } = await loadTasks(fixture('cab', 'cab_verified_lenient.jsonl'));
    assert.throws(() => environmentFor(tasks[0]), /no environment for language 'c\+\+'; add a spec for EmberEmu\/Hexi/);
  });

  test('filesInPatch lists the files a diff touches, new files included', () => {
    const patch =
      'diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/t/new.py b/t/new.py\nnew file mode 100644\n';
    assert.deepEqual(filesInPatch(patch), ['x.py', 't/new.py']);
  });
});
