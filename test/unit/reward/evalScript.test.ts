import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evalScript, testFilesToReset } from '../../../src/core/reward/evalScript';

const TEST_PATCH = [
  'diff --git a/tests/test_x.py b/tests/test_x.py',
  '--- a/tests/test_x.py',
  '+++ b/tests/test_x.py',
  '@@ -1 +1,2 @@',
  ' x = 1',
  '+y = 2',
  'diff --git a/tests/test_new.py b/tests/test_new.py',
  'new file mode 100644',
  '--- /dev/null',
  '+++ b/tests/test_new.py',
  '@@ -0,0 +1 @@',
  '+z = 3',
  'diff --git a/tests/data/cases.json b/tests/data/cases.json',
  '--- a/tests/data/cases.json',
  '+++ b/tests/data/cases.json',
  '@@ -1 +1 @@',
  '-[]',
  '+[1]',
  '',
].join('\n');

const environment = {
  install: ['source /opt/miniconda3/bin/activate', 'python -m pip install -e .'],
  build: ['make build'],
  testCommand: 'pytest -rA {test_files}',
  logParser: 'pytest' as const,
};

describe('the evaluation script: its steps and their order', () => {
  test('only files the test patch changes are reset, new ones are not', () => {
    assert.deepEqual(testFilesToReset(TEST_PATCH), ['tests/test_x.py', 'tests/data/cases.json']);
  });

  test('install, reset, test patch, build, tests between the markers with their exit status, reset again', () => {
    const script = evalScript({
      task: { testPatch: TEST_PATCH },
      environment,
      workdir: '/testbed',
      baseCommit: 'abc1234',
    });
    const lines = script.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      '#!/bin/bash',
      'set -uxo pipefail',
      'cd /testbed',
      'git config --global --add safe.directory /testbed',
    ]);
    const order = [
      "ROLLOUT_BASE_COMMIT=$(git rev-parse --verify --quiet 'abc1234^{commit}' || git rev-parse HEAD)",
      'source /opt/miniconda3/bin/activate',
      'python -m pip install -e .',
      'git checkout "$ROLLOUT_BASE_COMMIT" -- tests/test_x.py tests/data/cases.json',
      "git apply -v - <<'EOF_114329324912'",
      'make build',
      ": '>>>>> Start Test Output'",
      'pytest -rA tests/test_x.py tests/test_new.py',
      'ROLLOUT_TEST_EXIT_CODE=$?',
      ": '>>>>> End Test Output'",
      'echo ">>>>> Test Exit Code: $ROLLOUT_TEST_EXIT_CODE"',
    ];
    const positions = order.map((line) => lines.indexOf(line));
    assert.ok(
      positions.every((position) => position > 0),
      JSON.stringify(positions),
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
    );
    assert.equal(lines.at(-2), 'git checkout "$ROLLOUT_BASE_COMMIT" -- tests/test_x.py tests/data/cases.json');
    assert.ok(script.includes(`${TEST_PATCH.slice(0, -1)}\nEOF_114329324912\n`), 'the test patch inline, as written');
  });

  test("without a base commit the repository's HEAD is the base; without a test patch nothing is applied", () => {
    const script = evalScript({ task: { testPatch: '' }, environment, workdir: '/work/repo' });
    assert.ok(!script.includes('ROLLOUT_BASE_COMMIT'));
    assert.ok(script.includes('echo "No test files to reset"'));
    assert.ok(script.includes('echo "No test patch to apply"'));
    assert.ok(script.includes('\npytest -rA\n'));
  });
});
