import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  environmentFor,
  loadEnvironmentSpecs,
  testCommandFor,
  testFilesOf,
  testModulesOf,
} from '../../../src/core/task/environment';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { fixture } from './fixturePaths';

function specFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-spec-')), 'specs.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('environment specs', () => {
  test("a SWE-bench task of a repository the harness knows gets the harness's test command and parser", async () => {
    const { tasks } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const pytestTask = tasks.find((task) => task.id === 'pytest-dev__pytest-11143');
    assert.ok(pytestTask);
    const environment = environmentFor(pytestTask);
    assert.equal(environment.profile, 'python');
    assert.equal(environment.logParser, 'pytest');
    assert.equal(testCommandFor(environment, pytestTask), 'pytest -rA testing/test_assertrewrite.py');
    const django = tasks.find((task) => task.id === 'django__django-16255');
    assert.ok(django);
    assert.equal(environmentFor(django).logParser, 'django');
    assert.equal(
      testCommandFor(environmentFor(django), django),
      './tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 sitemaps_tests.test_http sitemaps_tests.urls.http',
    );
  });

  test('a task of a repository nobody knows gets the defaults of its language', () => {
    const task = {
      id: 'acme__calc-1',
      kind: 'swe-bench' as const,
      repo: { name: 'acme/calc', location: 'https://example.invalid/acme/calc.git' },
      problemStatement: '',
      hints: '',
      language: 'go',
      testPatch: '',
      goldPatch: '',
      failToPass: [],
      passToPass: [],
    };
    assert.deepEqual(environmentFor(task), {
      profile: 'go',
      install: [],
      testCommand: 'go test -v ./...',
      logParser: 'gotest',
    });
    assert.equal(environmentFor({ ...task, logParser: 'cargo' }).logParser, 'cargo');
  });

  test('a per-repo spec, and its per-version entry, override the defaults', async () => {
    const specs = await loadEnvironmentSpecs(
      specFile({
        'django/django': {
          install: ['python3 -m pip install -e .'],
          test_command: './tests/runtests.py --verbosity 2 {test_modules}',
          test_framework: 'parse_log_django',
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
      build: undefined,
      testCommand: './tests/runtests.py --verbosity 2 {test_modules}',
      logParser: 'django',
    });
  });

  test('a bad spec names the file and field', async () => {
    const file = specFile({ 'a/b': { test_framework: 'mocha' } });
    await assert.rejects(
      loadEnvironmentSpecs(file),
      (error: Error) => error.message.includes(file) && error.message.includes("field 'a/b.test_framework'"),
    );
  });

  test('a key a spec does not have (misspelled, or versions within a version) is refused, naming it', async () => {
    const known = 'profile, image, install, build, test_command, test_framework';
    const cases: [unknown, string, string][] = [
      [{ 'django/django': { tset_command: 'x' } }, 'django/django.tset_command', `${known}, versions`],
      [{ 'a/b': { versions: { '1.0': { image: 'i', tests: 'x' } } } }, 'a/b.versions.1.0.tests', known],
      [{ 'a/b': { versions: { '1.0': { versions: {} } } } }, 'a/b.versions.1.0.versions', known],
    ];
    for (const [content, field, keys] of cases) {
      const file = specFile(content);
      await assert.rejects(loadEnvironmentSpecs(file), {
        message: `${file} field '${field}': unknown key (known: ${keys})`,
      });
    }
  });

  test('a language without defaults and without a spec is refused with the fix', async () => {
    const { tasks } = await loadTasks(fixture('cab', 'cab_verified_lenient.jsonl'));
    assert.throws(
      () => environmentFor(tasks[0]),
      /no environment for EmberEmu\/Hexi \(language 'c\+\+'\); pass --specs FILE with a spec for it that gives profile \(or image\), test_command, test_framework/,
    );
  });

  test("the test patch's test files, new ones included and data files left out, go to the test command", () => {
    const patch = [
      'diff --git a/tests/x.py b/tests/x.py',
      'diff --git a/tests/admin/t/new.py b/tests/admin/t/new.py',
      'new file mode 100644',
      'diff --git a/tests/data/x.json b/tests/data/x.json',
      'diff --git a/tests/fixtures/a.csv b/tests/fixtures/a.csv',
      'diff --git a/docs/notes.md b/docs/notes.md',
      '',
    ].join('\n');
    assert.deepEqual(testFilesOf(patch), ['tests/x.py', 'tests/admin/t/new.py']);
    assert.deepEqual(testModulesOf(patch), ['x', 'admin.t.new']);
    const environment = {
      install: [],
      testCommand: 'runtests.py {test_modules} && pytest {test_files}',
      logParser: 'django' as const,
    };
    assert.equal(
      testCommandFor(environment, { testPatch: patch }),
      'runtests.py x admin.t.new && pytest tests/x.py tests/admin/t/new.py',
    );
  });
});
