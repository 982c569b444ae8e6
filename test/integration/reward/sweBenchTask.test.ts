import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePrediction } from '../../../src/core/reward/evaluator';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasks } from '../../../src/core/task/loadTasks';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
}

/** A local clone named owner__name, with the base commit and a later commit that must not leak in. */
function localClone(reposDir: string): { base: string; goldPatch: string; testPatch: string } {
  const dir = join(reposDir, 'acme__calc');
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'calc.py'), 'def add(a, b):\n    return a - b\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  const base = git(dir, 'rev-parse', 'HEAD').trim();
  writeFileSync(join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  const goldPatch = git(dir, 'diff');
  writeFileSync(join(dir, 'test_calc.py'), 'from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n');
  git(dir, 'add', '-N', 'test_calc.py');
  const testPatch = git(dir, 'diff', '--', 'test_calc.py');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'fix and test');
  return { base, goldPatch, testPatch };
}

describe('a SWE-bench-format task in real Docker with --repos', () => {
  test('loads a JSONL row with JSON-encoded test lists, checks out base_commit from DIR/owner__name, and grades it', async () => {
    const reposDir = mkdtempSync(join(tmpdir(), 'rollout-repos-'));
    const { base, goldPatch, testPatch } = localClone(reposDir);
    const row = {
      instance_id: 'acme__calc-1',
      repo: 'acme/calc',
      base_commit: base,
      patch: goldPatch,
      test_patch: testPatch,
      problem_statement: 'add() subtracts',
      hints_text: '',
      version: '1.0',
      FAIL_TO_PASS: JSON.stringify(['test_calc.py::test_add']),
      PASS_TO_PASS: '[]',
    };
    const file = join(mkdtempSync(join(tmpdir(), 'rollout-swe-')), 'tasks.jsonl');
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    const { tasks, errors } = await loadTasks(file);
    assert.deepEqual(errors, []);
    const options = {
      createSandbox: DockerSandbox.create.bind(DockerSandbox),
      imageForProfile,
      repos: { reposDir },
      runId: 'test-swe-bench-task',
    };
    const gold = await evaluatePrediction(
      tasks[0],
      { instanceId: 'acme__calc-1', modelName: 'm', patch: goldPatch },
      options,
    );
    assert.equal(gold.status, 'resolved', gold.testOutput);
    const empty = await evaluatePrediction(
      tasks[0],
      { instanceId: 'acme__calc-1', modelName: 'm', patch: '' },
      { ...options, evaluateEmptyPatch: true },
    );
    assert.equal(empty.status, 'unresolved', 'the base commit, not the later fixed one, was checked out');
    assert.deepEqual(empty.report?.tests_status?.FAIL_TO_PASS.failure, ['test_calc.py::test_add']);
  });
});
