import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapWithWorkers } from '../../../src/core/concurrency';
import { evaluatePrediction } from '../../../src/core/reward/evaluator';
import type { SandboxSpec } from '../../../src/core/sandbox/sandbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { validateTasks } from '../../../src/core/reward/validateTasks';
import { loadTasks } from '../../../src/core/task/loadTasks';

describe('bundled example tasks in real Docker containers', () => {
  test('every task in tasks/examples loads and validates: gold resolves, empty patch fails FAIL_TO_PASS only', async () => {
    const { tasks, errors } = await loadTasks(join(process.cwd(), 'tasks', 'examples'));
    assert.deepEqual(errors, []);
    assert.ok(tasks.length >= 8, `expected at least 8 bundled tasks, found ${tasks.length}`);
    const validations = await validateTasks(tasks, {
      createSandbox: (spec) => DockerSandbox.create(spec),
      imageForProfile,
      runId: 'test-validate-examples',
      workers: 2,
    });
    const invalid = validations
      .filter((validation) => !validation.ok)
      .map((validation) => `${validation.taskId}: ${validation.problems.join('; ')}`);
    assert.deepEqual(invalid, []);
    for (const validation of validations) {
      assert.equal(validation.gold.status, 'resolved');
      assert.equal(validation.empty.status, 'unresolved');
      assert.ok((validation.empty.report?.tests_status?.FAIL_TO_PASS.failure.length ?? 0) > 0);
    }
  });

  test("every task's naive.patch is graded unresolved because it breaks a PASS_TO_PASS test", async () => {
    const examples = join(process.cwd(), 'tasks', 'examples');
    const tasks = (await loadTasks(examples)).tasks.filter((task) =>
      existsSync(join(examples, task.id, 'naive.patch')),
    );
    assert.ok(tasks.length >= 1, 'at least one bundled task has a naive fix');
    const options = {
      createSandbox: (spec: SandboxSpec) => DockerSandbox.create(spec),
      imageForProfile,
      runId: 'test-naive-examples',
    };
    const results = await mapWithWorkers(tasks, 2, (task) =>
      evaluatePrediction(
        task,
        {
          instanceId: task.id,
          modelName: 'naive',
          patch: readFileSync(join(examples, task.id, 'naive.patch'), 'utf8'),
        },
        options,
      ),
    );
    for (const result of results) {
      assert.equal(result.status, 'unresolved', result.instanceId);
      assert.ok(
        (result.report?.tests_status?.PASS_TO_PASS.failure.length ?? 0) > 0,
        `${result.instanceId}: the naive fix breaks a PASS_TO_PASS test`,
      );
    }
  });
});
