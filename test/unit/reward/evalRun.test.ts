import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKey, runEvaluation } from '../../../src/core/reward/evalRun';
import { loadTasks } from '../../../src/core/task/loadTasks';

function options() {
  return {
    outDir: mkdtempSync(join(tmpdir(), 'rollout-evalrun-')),
    workers: 1,
    imageForProfile: (profile: string) => `unused/${profile}`,
    createSandbox: () => Promise.reject(new Error('no sandbox may be created when the input is refused')),
  };
}

describe('runEvaluation input checks (before any sandbox)', () => {
  test('refuses predictions for tasks the task file does not have', async () => {
    const { tasks } = await loadTasks(
      join(process.cwd(), 'test', 'fixtures', 'swe-bench', 'swe-bench-lite-sample.json'),
    );
    await assert.rejects(
      runEvaluation(tasks, [{ instanceId: 'nope__nope-1', modelName: 'm', patch: '' }], options()),
      /predictions for tasks not in the task file: nope__nope-1/,
    );
  });

  test('refuses CAB tasks, which have no FAIL_TO_PASS tests and would resolve with any patch', async () => {
    const { tasks } = await loadTasks(join(process.cwd(), 'test', 'fixtures', 'cab', 'cab_verified_lenient.jsonl'));
    await assert.rejects(
      runEvaluation(tasks, [{ instanceId: 'cab_lenient_1', modelName: 'm', patch: 'x' }], options()),
      /cannot be graded by tests \(cab_lenient_1 \(cab\)\): no FAIL_TO_PASS test/,
    );
  });

  test('an evaluation made under another test time limit is not reused (a timeout might not recur)', async () => {
    const { tasks } = await loadTasks(
      join(process.cwd(), 'test', 'fixtures', 'swe-bench', 'swe-bench-lite-sample.json'),
    );
    const prediction = { instanceId: tasks[0].id, modelName: 'm', patch: 'diff' };
    const keyAt = (testTimeoutMs: number | undefined) =>
      cacheKey(tasks[0], prediction, { ...options(), testTimeoutMs });
    assert.notEqual(await keyAt(60_000), await keyAt(1_800_000));
    assert.equal(await keyAt(undefined), await keyAt(1_800_000), 'the default limit is 30 minutes');
  });
});
