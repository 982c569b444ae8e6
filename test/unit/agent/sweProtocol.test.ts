import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SweProtocol } from '../../../src/core/agent/protocols/swe';
import { loadTasks } from '../../../src/core/task/loadTasks';

const SAMPLE = join(process.cwd(), 'test', 'fixtures', 'swe-bench', 'swe-bench-lite-sample.json');

describe('SWE protocol', () => {
  test('a task with no FAIL_TO_PASS test is refused before its sandbox starts: any patch would resolve it', async () => {
    const { tasks } = await loadTasks(SAMPLE);
    const task = { ...tasks[0], failToPass: [] };
    const noSandbox = () => Promise.reject(new Error('no sandbox may start for a refused task'));
    const evaluator = { createSandbox: noSandbox, imageForProfile: (profile: string) => `unused/${profile}` };
    await assert.rejects(
      new SweProtocol('binary').startSandbox(task, evaluator, noSandbox),
      new RegExp(`task ${task.id}: no FAIL_TO_PASS test, so every patch that keeps the other tests passing`),
    );
  });
});
