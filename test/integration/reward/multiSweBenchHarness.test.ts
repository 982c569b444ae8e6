import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvaluation } from '../../../src/core/reward/evalRun';
import { evaluatePrediction, type EvaluatorOptions } from '../../../src/core/reward/evaluator';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { multiSweBenchRowToTask } from '../../../src/core/task/multiSweBenchSource';
import type { Task } from '../../../src/core/task/task';
import {
  pythonWithHarness,
  pythonWithoutHarness,
  standInWithParserEdited,
  withHarnessPython,
} from '../../support/harnessPython';
import { buildOffline, removeImage } from '../../support/instanceImage';

const EXAMPLE = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22');
// The name the stand-in harness registers its parser under for this made-up range (harness-stand-in/…/example.py).
const INTERVAL = 'bytesize_30_to_1';
const IMAGE = 'envagent/example_m_bytesize:pr-22';

function git(dir: string, ...args: string[]): string {
  const identity = ['-c', 'user.name=upstream', '-c', 'user.email=upstream@example.invalid'];
  return execFileSync('git', ['-C', dir, ...identity, ...args], { encoding: 'utf8' }).trim();
}

/** An image laid out as Multi-SWE-bench lays out its own: the repository at /home/<repo>, its tests in /home/run.sh. */
function buildRangeImage(): string {
  const context = mkdtempSync(join(tmpdir(), 'rollout-mswebench-image-'));
  try {
    const repo = join(context, 'repo');
    cpSync(join(EXAMPLE, 'repo'), repo, { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'base');
    const { test_command: testCommand } = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as {
      test_command: string;
    };
    writeFileSync(join(context, 'run.sh'), `#!/bin/bash\ncd /home/bytesize\n${testCommand}\n`);
    writeFileSync(
      join(context, 'Dockerfile'),
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nUSER root\nCOPY repo /home/bytesize\nCOPY run.sh /home/run.sh\n',
    );
    buildOffline(IMAGE, context, [`BASE_IMAGE=${imageForProfile('python')}`]);
    return git(repo, 'rev-parse', 'HEAD');
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The row as Multi-SWE-RL releases one for a range of pull requests. */
function rangeRow(baseCommit: string): Record<string, unknown> {
  const task = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as Record<string, string[] | string>;
  const transitions = (tests: string[], run: string) =>
    Object.fromEntries(tests.map((test) => [test, { run, test: 'FAIL', fix: 'PASS' }]));
  return {
    org: 'example',
    repo: 'bytesize',
    number: 22,
    number_interval: INTERVAL,
    state: 'closed',
    title: 'naturalsize rounds into the next unit',
    body: '',
    base: { label: 'example:main', ref: 'main', sha: baseCommit },
    resolved_issues: [{ number: 21, title: 'naturalsize(1048575)', body: task.problem_statement }],
    fix_patch: readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8'),
    test_patch: readFileSync(join(EXAMPLE, 'test.patch'), 'utf8'),
    f2p_tests: transitions(task.FAIL_TO_PASS as string[], 'FAIL'),
    p2p_tests: transitions(task.PASS_TO_PASS as string[], 'PASS'),
  };
}

describe("a Multi-SWE-RL range row graded by the harness's own parser (real Docker)", () => {
  let task: Task;
  const options: EvaluatorOptions = {
    createSandbox: DockerSandbox.create.bind(DockerSandbox),
    imageForProfile,
    runId: 'test-mswebench-harness',
  };
  const evaluate = (python: string, patch: string) =>
    withHarnessPython(python, () =>
      evaluatePrediction(
        task,
        { instanceId: task.id, modelName: 'm', patch },
        { ...options, evaluateEmptyPatch: true },
      ),
    );

  before(() => {
    task = multiSweBenchRowToTask(rangeRow(buildRangeImage()));
  });
  after(() => removeImage(IMAGE));

  test('the gold patch resolves it and the empty patch does not, by the reading of the installed harness', async () => {
    assert.equal(task.instance?.image, IMAGE);
    const python = pythonWithHarness();
    const gold = await evaluate(python, task.goldPatch);
    assert.equal(gold.status, 'resolved', gold.error ?? gold.testOutput);
    assert.equal(gold.report?.tests_status?.FAIL_TO_PASS.success.length, task.failToPass.length);
    const empty = await evaluate(python, '');
    assert.equal(empty.status, 'unresolved', empty.error ?? empty.testOutput);
    assert.deepEqual(empty.report?.tests_status?.FAIL_TO_PASS.failure, task.failToPass);
  });

  test('a run reuses an evaluation while the same harness code reads it, and evaluates again once a parser changed', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-mswebench-eval-'));
    const prediction = { instanceId: task.id, modelName: 'm', patch: task.goldPatch };
    const run = (python: string) =>
      withHarnessPython(python, () => runEvaluation([task], [prediction], { ...options, outDir, workers: 1 }));
    const first = await run(pythonWithHarness());
    assert.deepEqual([first.reused, first.results[0].status], [0, 'resolved']);
    const again = await run(pythonWithHarness());
    assert.deepEqual([again.reused, again.results[0].status], [1, 'resolved']);
    const fixed = await run(pythonWithHarness({ standIn: standInWithParserEdited() }));
    assert.deepEqual([fixed.reused, fixed.results[0].status], [0, 'resolved']);
  });

  test('without the harness, the evaluation is an infrastructure error, never a score', async () => {
    const result = await evaluate(pythonWithoutHarness(), task.goldPatch);
    assert.equal(result.status, 'infra-error');
    assert.equal(result.report, undefined);
    assert.match(result.error ?? '', /pip install multi-swe-bench/);
  });
});
