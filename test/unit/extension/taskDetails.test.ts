import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { taskDetailsMarkdown } from '../../../src/extension/views/taskDetails';
import { fixture } from '../task/fixturePaths';

describe('task details (opened by a click in the Tasks view)', () => {
  test('a real SWE-bench Lite task: repository at its commit, problem statement, its tests, its runs', async () => {
    const file = fixture('swe-bench', 'swe-bench-lite-sample.json');
    const { tasks } = await loadTasks(file);
    const task = tasks[0];
    const other = { ...task, id: 'other__task-1' };
    const run = {
      run_id: `${task.id}-r1`,
      task_id: task.id,
      attempt: 0,
      policy: 'openai:gpt-4o-mini',
      path: `${task.id}-r1/trajectory.jsonl`,
      status: 'submitted' as const,
      started_at: '2026-12-02T09:05:00.000Z',
      reward: 1,
      turns: 7,
    };
    const markdown = taskDetailsMarkdown(task, file, [run, { ...run, run_id: 'x', task_id: other.id }]);
    assert.match(markdown, new RegExp(`^# ${task.id}\n`));
    assert.ok(markdown.includes(`- Repository: ${task.repo.name} at ${task.repo.commit}`));
    assert.ok(markdown.includes(task.problemStatement));
    assert.ok(markdown.includes(`## Tests that must pass (FAIL_TO_PASS): ${task.failToPass.length}`));
    assert.ok(markdown.includes(`- \`${task.failToPass[0]}\``));
    assert.ok(markdown.includes('- Runs: 1'));
    assert.ok(markdown.includes(`- ${run.run_id} (attempt 1, openai:gpt-4o-mini): reward 1 · submitted · 7 turns`));
    assert.ok(!markdown.includes('- x '), "another task's run is not listed");
  });

  test('lists at most 20 tests of a kind and counts the rest', async () => {
    const { tasks } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const many = { ...tasks[0], passToPass: Array.from({ length: 25 }, (_, index) => `test_${index}`) };
    const markdown = taskDetailsMarkdown(many, 'set.json', []);
    assert.ok(markdown.includes('`test_19`'));
    assert.ok(!markdown.includes('`test_20`'));
    assert.ok(markdown.includes('- … and 5 more'));
    assert.ok(markdown.includes('- Runs: none yet'));
  });
});
