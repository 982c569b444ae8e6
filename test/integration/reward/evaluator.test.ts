import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { Engine } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { evaluatePrediction, type EvaluatorOptions } from '../../../src/core/reward/evaluator';
import { runEvaluation } from '../../../src/core/reward/evalRun';
import { binaryReward } from '../../../src/core/reward/binaryReward';
import type { Task } from '../../../src/core/task/task';

const FIX =
  'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,5 +1,5 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n \n def double(x):\n';
/** The test patch adds test_add to the existing test file and a data file pytest must not be given. */
const TESTS = [
  'diff --git a/test_calc.py b/test_calc.py',
  '--- a/test_calc.py',
  '+++ b/test_calc.py',
  '@@ -1,5 +1,9 @@',
  '-from calc import double',
  '+from calc import add, double',
  ' ',
  ' ',
  '+def test_add():',
  '+    assert add(1, 2) == 3',
  '+',
  '+',
  ' def test_double():',
  '     assert double(4) == 8',
  'diff --git a/data/cases.json b/data/cases.json',
  'new file mode 100644',
  '--- /dev/null',
  '+++ b/data/cases.json',
  '@@ -0,0 +1 @@',
  '+[1, 2, 3]',
  '',
].join('\n');

/** A tiny Python task in a plain folder: add() subtracts; double() already works and has a test. */
function calcTask(overrides: Partial<Task> = {}): Task {
  const repo = mkdtempSync(join(tmpdir(), 'rollout-calc-'));
  writeFileSync(join(repo, 'calc.py'), 'def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return 2 * x\n');
  writeFileSync(
    join(repo, 'test_calc.py'),
    'from calc import double\n\n\ndef test_double():\n    assert double(4) == 8\n',
  );
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
      testCommand: 'python3 -m pytest -rA -p no:cacheprovider {test_files}',
      logParser: 'pytest',
    },
    testPatch: TESTS,
    goldPatch: FIX,
    failToPass: ['test_calc.py::test_add'],
    passToPass: ['test_calc.py::test_double'],
    ...overrides,
  };
}

const TEST_RUNNER = '#!/bin/sh\nexec python3 -m pytest -rA -p no:cacheprovider "$@"\n';

/** The task with its tests run by an executable script of its repository, as Django's are. */
function withTestRunner(task: Task): Task {
  writeFileSync(join(task.repo.location, 'run_tests.sh'), TEST_RUNNER, { mode: 0o755 });
  return { ...task, environment: { ...task.environment!, testCommand: './run_tests.sh {test_files}' } };
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
    assert.ok(await Engine.at().hasImage(imageForProfile('python')), `missing ${imageForProfile('python')}`);
  });

  test('the gold patch resolves; the test output holds the command between its markers, the exit status line, and only test files reach pytest', async () => {
    const result = await evaluatePrediction(calcTask(), model(FIX), dockerOptions());
    assert.equal(result.status, 'resolved', result.testOutput);
    assert.equal(result.resolution, 'RESOLVED_FULL');
    assert.deepEqual(result.report?.tests_status?.FAIL_TO_PASS, { success: ['test_calc.py::test_add'], failure: [] });
    assert.deepEqual(result.testStatuses, {
      'test_calc.py::test_add': 'PASSED',
      'test_calc.py::test_double': 'PASSED',
    });
    assert.match(
      result.testOutput,
      /\+ : '>>>>> Start Test Output'\n\+ python3 -m pytest -rA -p no:cacheprovider test_calc.py\n/,
    );
    assert.match(result.testOutput, /2 passed/);
    assert.match(result.testOutput, />>>>> Test Exit Code: 0/);
    assert.match(result.log, /git apply --verbose \/tmp\/patch.diff {2}# apply the patch, exit 0/);
    assert.equal(binaryReward.compute({ evaluation: result }).value, 1);
  });

  test('an empty patch is not run (no report, no output); validation runs it and sees FAIL_TO_PASS fail', async () => {
    const skipped = await evaluatePrediction(calcTask(), model(''), dockerOptions());
    assert.deepEqual([skipped.status, skipped.report, skipped.testOutput], ['empty-patch', undefined, '']);
    assert.equal((await evaluatePrediction(calcTask(), model(null), dockerOptions())).status, 'no-patch');
    const result = await evaluatePrediction(calcTask(), model(''), dockerOptions({ evaluateEmptyPatch: true }));
    assert.equal(result.status, 'unresolved');
    assert.deepEqual(result.report?.tests_status?.FAIL_TO_PASS.failure, ['test_calc.py::test_add']);
    assert.deepEqual(result.report?.tests_status?.PASS_TO_PASS.success, ['test_calc.py::test_double']);
  });

  test('a patch no command of the cascade applies is patch-failed, with no report and git’s reason', async () => {
    const result = await evaluatePrediction(
      calcTask(),
      model('diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -7,1 +7,1 @@\n-nothing here\n+x\n'),
      dockerOptions(),
    );
    assert.equal(result.status, 'patch-failed');
    assert.equal(result.report, undefined);
    assert.match(result.error ?? '', /the patch does not apply: .*error: patch failed: calc.py:7/);
    for (const command of [
      'git apply --verbose --3way',
      'git apply --verbose --reject',
      'patch --batch --forward --fuzz=5 -p1 -i',
    ])
      assert.ok(result.log.includes(`$ ${command} /tmp/patch.diff`), command);
    assert.equal(result.attempts, 1);
    assert.equal(binaryReward.compute({ evaluation: result }).value, 0);
  });

  test('a test file the model edited is reset before the test patch, so editing the tests cannot win', async () => {
    const cheat = [
      'diff --git a/test_calc.py b/test_calc.py',
      '--- a/test_calc.py',
      '+++ b/test_calc.py',
      '@@ -1,5 +1,9 @@',
      ' from calc import double',
      ' ',
      ' ',
      '+def test_add():',
      '+    pass',
      '+',
      '+',
      ' def test_double():',
      '     assert double(4) == 8',
      '',
    ].join('\n');
    const result = await evaluatePrediction(calcTask(), model(cheat), dockerOptions());
    assert.equal(result.status, 'unresolved', result.testOutput);
    assert.deepEqual(result.report?.tests_status?.FAIL_TO_PASS.failure, ['test_calc.py::test_add']);
    assert.match(result.testOutput, /\+ git checkout HEAD -- test_calc.py/);
  });

  test('a FAIL_TO_PASS test missing from the run counts as failed', async () => {
    const task = calcTask({ failToPass: ['test_calc.py::test_add', 'test_calc.py::test_that_does_not_exist'] });
    const result = await evaluatePrediction(task, model(FIX), dockerOptions());
    assert.equal(result.status, 'unresolved');
    assert.deepEqual(result.report?.tests_status?.FAIL_TO_PASS.failure, ['test_calc.py::test_that_does_not_exist']);
  });

  test('tests past their limit time out: an error with no report, not resolved', async () => {
    const task = calcTask();
    const environment = { ...task.environment!, testCommand: 'sleep 60' };
    const result = await evaluatePrediction(
      { ...task, environment },
      model(FIX),
      dockerOptions({ testTimeoutMs: 2_000 }),
    );
    assert.equal(result.status, 'timed-out');
    assert.equal(result.attempts, 1);
    assert.match(result.error ?? '', /tests timed out after 2 s/);
    assert.match(result.testOutput, /\n\nTimeout error: 2 seconds exceeded\.$/);
    assert.equal(result.report, undefined);
    assert.equal(binaryReward.compute({ evaluation: result }).value, 0);
  });

  test('a test runner missing from the image is an infra-error', async () => {
    const task = calcTask();
    const environment = { ...task.environment!, testCommand: 'no-such-test-runner -x' };
    const result = await evaluatePrediction({ ...task, environment }, model(FIX), dockerOptions());
    assert.equal(result.status, 'infra-error');
    assert.match(result.error ?? '', /test command could not start .* \(exit 127\)/);
  });

  test('a patch that deletes the test runner is graded (unresolved): without the patch the runner starts', async () => {
    const task = withTestRunner(calcTask());
    const deleteRunner = [
      'diff --git a/run_tests.sh b/run_tests.sh',
      'deleted file mode 100755',
      '--- a/run_tests.sh',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      ...TEST_RUNNER.trimEnd()
        .split('\n')
        .map((line) => `-${line}`),
      '',
    ].join('\n');
    const result = await evaluatePrediction(task, model(deleteRunner), dockerOptions());
    assert.equal(result.status, 'unresolved', result.error);
    assert.equal(result.attempts, 1);
    assert.match(result.testOutput, />>>>> Test Exit Code: 127/);
    assert.match(result.log, /# restore the work tree, exit 0[\s\S]*>>>>> Test Exit Code: 1\n/);
    assert.equal(binaryReward.compute({ evaluation: result }).value, 0);
  });

  test('tests killed with no result: the patch’s failure when they run without it, an infra-error when they die alike', async () => {
    const killed = 'echo Killed; exit 137';
    const killingRunner = [
      'diff --git a/run_tests.sh b/run_tests.sh',
      '--- a/run_tests.sh',
      '+++ b/run_tests.sh',
      '@@ -1,2 +1,2 @@',
      ' #!/bin/sh',
      `-${TEST_RUNNER.split('\n')[1]}`,
      `+${killed}`,
      '',
    ].join('\n');
    const patchDoing = await evaluatePrediction(withTestRunner(calcTask()), model(killingRunner), dockerOptions());
    assert.equal(patchDoing.status, 'unresolved', patchDoing.error);
    assert.equal(patchDoing.report?.infra_failure_reason, 'out_of_memory');
    assert.equal(binaryReward.compute({ evaluation: patchDoing }).value, 0);

    const task = calcTask();
    const environment = { ...task.environment!, testCommand: killed };
    const environmentDoing = await evaluatePrediction({ ...task, environment }, model(FIX), dockerOptions());
    assert.equal(environmentDoing.status, 'infra-error');
    assert.match(environmentDoing.error ?? '', /no result .* out of memory, and without the patch .* out of memory/);
    assert.equal(binaryReward.compute({ evaluation: environmentDoing }).value, null);
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

  test('runEvaluation writes report.json and eval.sh per instance, reuses an unchanged result and re-evaluates a changed patch', async () => {
    const task = calcTask();
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-eval-out-'));
    const options = { ...dockerOptions(), outDir, workers: 1 };
    const broken = 'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -9,1 +9,1 @@\n-x\n+y\n';
    const first = await runEvaluation([task], [model(broken)], options);
    assert.deepEqual([first.reused, first.summary.error_instances], [0, 1]);
    assert.equal(
      existsSync(join(outDir, 'calc__calc-1', 'report.json')),
      false,
      'no report for a patch that did not apply',
    );
    const again = await runEvaluation([task], [model(broken)], options);
    assert.deepEqual([again.reused, again.summary.error_instances], [1, 1]);
    const changed = await runEvaluation([task], [model(FIX)], options);
    assert.deepEqual([changed.reused, changed.summary.resolved_instances], [0, 1]);
    const report = JSON.parse(readFileSync(join(outDir, 'calc__calc-1', 'report.json'), 'utf8'));
    assert.deepEqual(Object.keys(report), ['calc__calc-1']);
    assert.equal(report['calc__calc-1'].resolved, true);
    assert.match(readFileSync(join(outDir, 'calc__calc-1', 'eval.sh'), 'utf8'), /^#!\/bin\/bash\nset -uxo pipefail\n/);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
    assert.deepEqual([summary.resolved_ids, summary.schema_version], [['calc__calc-1'], 2]);
    const ours = JSON.parse(readFileSync(join(outDir, 'rollout-summary.json'), 'utf8'));
    assert.equal(ours.counts.resolved, 1);
  });

  test('a changed file in a task folder’s repository is not served from the cache', async () => {
    const task = calcTask();
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-eval-out-'));
    const options = { ...dockerOptions({ evaluateEmptyPatch: true }), outDir, workers: 1 };
    assert.equal((await runEvaluation([task], [model('')], options)).summary.resolved_instances, 0);
    mkdirSync(join(task.repo.location, 'docs'));
    writeFileSync(
      join(task.repo.location, 'calc.py'),
      'def add(a, b):\n    return a + b\n\n\ndef double(x):\n    return 2 * x\n',
    );
    const rerun = await runEvaluation([task], [model('')], options);
    assert.deepEqual([rerun.reused, rerun.summary.resolved_instances], [0, 1]);
  });
});
