import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { validateTasks } from '../../../src/core/reward/validateTasks';
import { loadTasks } from '../../../src/core/task/loadTasks';

describe('bundled example tasks in real Docker containers', () => {
  test('every task in tasks/examples loads and validates: gold resolves, empty patch fails FAIL_TO_PASS only', async () => {
    const { tasks, errors } = await loadTasks(join(process.cwd(), 'tasks', 'examples'));
    assert.deepEqual(errors, []);
    assert.ok(tasks.length >= 8, `expected at least 8 bundled tasks, found ${tasks.length}`);
    const validations = await validateTasks(tasks, { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile, runId: 'test-validate-examples', workers: 2 });
    const invalid = validations.filter((validation) => !validation.ok).map((validation) => `${validation.taskId}: ${validation.problems.join('; ')}`);
    assert.deepEqual(invalid, []);
    for (const validation of validations) {
      assert.equal(validation.gold.status, 'resolved');
      assert.equal(validation.empty.status, 'unresolved');
      assert.ok((validation.empty.report?.tests_status.FAIL_TO_PASS.failure.length ?? 0) > 0);
    }
  });
});
