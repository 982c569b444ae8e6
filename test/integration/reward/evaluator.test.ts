import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageExists, imageForProfile } from '../../../src/core/sandbox/images';
import { evaluatePrediction, type EvaluatorOptions } from '../../../src/core/reward/evaluator';
import { runEvaluation } from '../../../src/core/reward/evalRun';
import { binaryReward } from '../../../src/core/reward/binaryReward';
import type { Task } from '../../../src/core/task/task';

const FIX =
  'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,5 +1,5 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n \n def double(x):\n';
const TESTS = [
  'diff --git a/test_calc.py b/test_calc.py',
  'new file mode 100644',
  '--- /dev/null',
  '+++ b/test_calc.py',
  '@@ -0,0 +1,8 @@',
  '+from calc import add, double',
  '+',
  '+def test_add():',
  '+    assert add(1, 2) == 3',
  '+',
  '+',
  '+def test_double():',
  '+    assert double(4) == 8',
  '',
].join('\n');

/** A tiny Python task in a plain folder: add() subtracts; double() already works. */
function calcTask(overrides: Partial<Task> = {}): Task {
  const repo = mkdtempSync(join(tmpdir(), 'rollout-calc-'));
  writeFileSync(join(repo, 'calc.py'), 'def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return 2 * x\n');
  return {
    id: 'calc__calc-1',
    kind: 'folder',
    repo: { location: repo },
    problemStatement: 'add() subtracts',
    hints: '',
    language: 'python',
    environment: {
      profile: 'python',
      install: [],
      testCommand: 'python3 -m pytest -rA -p no:cacheprovider test_calc.py',
      testFramework: 'pytest',
    },
    testPatch: TESTS,
    goldPatch: FIX,
    failToPass: ['test_calc.py::test_add'],
    passToPass: ['test_calc.py::test_double'],
    ...overrides,
  };
}

function dockerOptions(overrides: Partial<EvaluatorOptions> = {}): EvaluatorOptions {
  return {
    createSandbox: (spec) => DockerSandbox.create(spec),
    imageForProfile,
    runId: 'test-reward-evaluator',
    testTimeoutMs: 120_000,
    ...overrides,
  };
}

const model = (patch: string | null) => ({ instanceId: 'calc__calc-1', modelName: 'test-model', patch });

describe('evaluator in real Docker containers', () => {
  test('the python profile image is built (run `rollout images build python` if this fails)', async () => {
    assert.ok(await imageExists(imageForProfile('python')), `missing ${imageForProfile('python')}`);
  });

  test('the gold patch resolves; the report has the harness shape and the tests really ran', async () => {
    const result = await evaluatePrediction(calcTask(), model(FIX), dockerOptions());
    assert.equal(result.status, 'resolved', result.log);
    assert.deepEqual(result.report?.tests_status.FAIL_TO_PASS, { success: ['test_calc.py::test_add'], failure: [] });
    assert.deepEqual(result.testStatuses, {
      'test_calc.py::test_add': 'PASSED',
      'test_calc.py::test_double': 'PASSED',
    });
    assert.match(result.log, /2 passed/);
    assert.equal(binaryReward.compute({ evaluation: result }).value, 1);
  });

  test('an empty patch is unresolved with FAIL_TO_PASS failing', async () => {
    const result = await evaluatePrediction(calcTask(), model(''), dockerOptions());
    assert.equal(result.status, 'unresolved');
    assert.equal(result.report?.patch_exists, false);
    assert.deepEqual(result.report?.tests_status.FAIL_TO_PASS.failure, ['test_calc.py::test_add']);
    assert.deepEqual(result.report?.tests_status.PASS_TO_PASS.success, ['test_calc.py::test_double']);
  });

  test('a malformed patch is patch-failed (the model’s fault), with git’s reason', async () => {
    const result = await evaluatePrediction(
      calcTask(),
      model('diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -7,1 +7,1 @@\n-nothing here\n+x\n'),
      dockerOptions(),
    );
    assert.equal(result.status, 'patch-failed');
    assert.equal(result.report?.patch_successfully_applied, false);
    assert.match(result.error ?? '', /the model patch does not apply: .*error: patch failed: calc.py:7/);
    assert.equal(result.attempts, 1);
  });

  test('test files the model wrote are reset before the test patch, so editing the tests cannot win', async () => {
    const cheat =
      'diff --git a/test_calc.py b/test_calc.py\nnew file mode 100644\n--- /dev/null\n+++ b/test_calc.py\n@@ -0,0 +1,2 @@\n+def test_add():\n+    pass\n';
    const result = await evaluatePrediction(calcTask(), model(cheat), dockerOptions());
    assert.equal(result.status, 'unresolved', result.log);
    assert.deepEqual(result.report?.tests_status.FAIL_TO_PASS.failure, ['test_calc.py::test_add']);
  });

  test('a FAIL_TO_PASS test missing from the run counts as failed', async () => {
    const task = calcTask({ failToPass: ['test_calc.py::test_add', 'test_calc.py::test_that_does_not_exist'] });
    const result = await evaluatePrediction(task, model(FIX), dockerOptions());
    assert.equal(result.status, 'unresolved');
    assert.deepEqual(result.report?.tests_status.FAIL_TO_PASS.failure, ['test_calc.py::test_that_does_not_exist']);
  });

  test('a test command past its limit is an infra-error, retried once, never unresolved', async () => {
    const task = calcTask();
    const environment = { ...task.environment!, testCommand: 'sleep 60' };
    const result = await evaluatePrediction(
      { ...task, environment },
      model(FIX),
      dockerOptions({ testTimeoutMs: 2_000 }),
    );
    assert.equal(result.status, 'infra-error');
    assert.equal(result.attempts, 2);
    assert.match(result.error ?? '', /tests timed out after 2 s/);
    assert.equal(result.report, undefined);
    assert.equal(binaryReward.compute({ evaluation: result }).value, null);
  });

  test('a test runner missing from the image is an infra-error', async () => {
    const task = calcTask();
    const environment = { ...task.environment!, testCommand: 'no-such-test-runner -x' };
    const result = await evaluatePrediction({ ...task, environment }, model(FIX), dockerOptions());
    assert.equal(result.status, 'infra-error');
    assert.match(result.error ?? '', /test command could not start .* \(exit 127\)/);
  });

  test('a missing image is an infra-error naming the image', async () => {
    const task = calcTask();
    const environment = { ...task.environment!, profile: undefined, image: 'rollout-studio/no-such-image:0' };
    const result = await evaluatePrediction({ ...task, environment }, model(FIX), dockerOptions());
    assert.equal(result.status, 'infra-error');
    assert.equal(result.attempts, 2);
    assert.match(result.error ?? '', /image rollout-studio\/no-such-image:0 not found/);
  });

  test('a stopped engine (nothing listening at DOCKER_HOST) is an infra-error, not a wrong answer', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(mkdtempSync(join(tmpdir(), 'rollout-engine-')), 'docker.sock')}`;
    try {
      const result = await evaluatePrediction(calcTask(), model(FIX), dockerOptions());
      assert.equal(result.status, 'infra-error');
      assert.match(result.error ?? '', /Docker engine not reachable/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  test('runEvaluation reuses an unchanged result and re-evaluates a changed patch', async () => {
    const task = calcTask();
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-eval-out-'));
    const options = { ...dockerOptions(), outDir, workers: 1 };
    const first = await runEvaluation([task], [model('')], options);
    assert.deepEqual([first.reused, first.summary.resolved], [0, 0]);
    const again = await runEvaluation([task], [model('')], options);
    assert.deepEqual([again.reused, again.summary.resolved], [1, 0]);
    const changed = await runEvaluation([task], [model(FIX)], options);
    assert.deepEqual([changed.reused, changed.summary.resolved], [0, 1]);
  });

  test('a changed file in a task folder’s repository is not served from the cache', async () => {
    const task = calcTask();
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-eval-out-'));
    const options = { ...dockerOptions(), outDir, workers: 1 };
    assert.equal((await runEvaluation([task], [model('')], options)).summary.resolved, 0);
    mkdirSync(join(task.repo.location, 'docs'));
    writeFileSync(
      join(task.repo.location, 'calc.py'),
      'def add(a, b):\n    return a + b\n\n\ndef double(x):\n    return 2 * x\n',
    );
    const rerun = await runEvaluation([task], [model('')], options);
    assert.deepEqual([rerun.reused, rerun.summary.resolved], [0, 1]);
  });
});
