import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvaluation } from '../../../src/core/reward/evalRun';
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
      /without FAIL_TO_PASS tests cannot be graded by tests: cab_lenient_1 \(cab\)/,
    );
  });
});
