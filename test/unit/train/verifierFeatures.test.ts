import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectCandidates,
  formatSelection,
  heldOutSelections,
  pickBestPerTask,
  summariseSelection,
  type ScoredCandidate,
} from '../../../src/core/train/select';
import {
  featureVector,
  patchStats,
  trajectoryFeatures,
  VERIFIER_FEATURES,
} from '../../../src/core/train/verifierFeatures';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { recordRun } from '../export/fixtures';

const PATCH = `diff --git a/src/app.py b/src/app.py
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@ def add(a, b):
-    return a - b
+    return a + b
@@ -10,2 +10,3 @@ class Calc:
+    pass
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-old
+new
`;

function call(id: string, name: string, args: Record<string, unknown>) {
  return { id, type: 'function' as const, function: { name, arguments: JSON.stringify(args) } };
}

const TRAJECTORY: Trajectory = {
  run: {
    run_id: 'r1',
    task_id: 't1',
    attempt: 0,
    policy: 'openai:x',
    model: { name: 'x', parameters: {} },
    tools: [],
    tool_versions: {},
    started_at: '2026-11-24T00:00:00Z',
  },
  events: [],
  turns: [
    {
      index: 0,
      messages: [
        { role: 'user', content: 'fix it' },
        { role: 'assistant', content: null, tool_calls: [call('a', 'bash', { command: 'python -m pytest -q' })] },
        { role: 'tool', tool_call_id: 'a', content: '1 failed' },
      ],
      observations: [
        {
          tool_call_id: 'a',
          tool: 'bash',
          arguments: JSON.stringify({ command: 'python -m pytest -q' }),
          output: '1 failed',
          truncated: false,
          exit_code: 1,
        },
      ],
      tokens: { input: 100, output: 20 },
    },
    {
      index: 1,
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [call('b', 'edit', { path: 'src/app.py' }), call('c', 'bash', { command: 'pytest' })],
        },
        { role: 'tool', tool_call_id: 'b', content: 'ok' },
        { role: 'tool', tool_call_id: 'c', content: 'passed' },
      ],
      observations: [
        { tool_call_id: 'b', tool: 'edit', arguments: '{}', output: 'ok', truncated: false },
        {
          tool_call_id: 'c',
          tool: 'bash',
          arguments: JSON.stringify({ command: 'pytest' }),
          output: 'passed',
          truncated: false,
          exit_code: 0,
        },
      ],
      tokens: { input: 150, output: 30 },
    },
  ],
  result: {
    exit_status: 'submitted',
    ended_at: '2026-11-24T00:01:00Z',
    patch: PATCH,
    reward: { value: 1, resolved: true },
  },
};

describe('verifier features', () => {
  test('patch statistics: lines, files, enclosing definitions', () => {
    assert.deepEqual(patchStats(PATCH), { added: 3, removed: 2, files: 2, symbols: 2 });
    assert.deepEqual(patchStats(''), { added: 0, removed: 0, files: 0, symbols: 0 });
  });

  test('a trajectory becomes the feature record the model was trained on', () => {
    const features = trajectoryFeatures(TRAJECTORY);
    assert.deepEqual(features, {
      turns: 2,
      tool_calls: 3,
      edits: 1,
      error_observations: 1,
      test_runs: 2,
      last_test_passed: 1,
      patch_lines_added: 3,
      patch_lines_removed: 2,
      files_changed: 2,
      symbols_changed: 2,
      tokens_out: 50,
      submitted: 1,
    });
    assert.deepEqual(Object.keys(features), [...VERIFIER_FEATURES]);
  });

  test('a recorded tree-sitter count wins over hunk headers', () => {
    const withCount = { ...TRAJECTORY, result: { ...TRAJECTORY.result!, extra: { symbols_changed: 5 } } };
    assert.equal(trajectoryFeatures(withCount).symbols_changed, 5);
  });

  test('a missing feature is an error that names it', () => {
    const record = { ...trajectoryFeatures(TRAJECTORY) } as Record<string, number>;
    delete record.edits;
    assert.throws(
      () => featureVector(record, 'runs/r1'),
      /^Error: runs\/r1: features\.edits must be a non-negative number, got undefined$/,
    );
  });
});

describe('best of N', () => {
  const candidate = (taskId: string, attempt: number, score: number, reward: number | null): ScoredCandidate => ({
    path: `${taskId}/${attempt}`,
    runId: `${taskId}-${attempt}`,
    taskId,
    attempt,
    reward,
    resolved: reward === 1,
    score,
    features: {},
  });

  test('highest score per task; a tie goes to the earlier attempt', () => {
    const picks = pickBestPerTask([
      candidate('a', 0, 0.2, 0),
      candidate('a', 1, 0.9, 1),
      candidate('b', 1, 0.5, 0),
      candidate('b', 0, 0.5, 1),
    ]);
    assert.deepEqual(
      picks.map((p) => p.chosen.runId),
      ['a-1', 'b-0'],
    );
    assert.deepEqual(summariseSelection(picks), {
      tasks: 2,
      chosenMeanReward: 1,
      averageMeanReward: 0.5,
      oracleMeanReward: 1,
    });
  });

  test('the figure that counts is on the held-out tasks, and says what it is measured against', () => {
    const picks = pickBestPerTask([
      candidate('seen', 0, 0.9, 1),
      candidate('seen', 1, 0.1, 0),
      candidate('held', 0, 0.8, 0),
      candidate('held', 1, 0.3, 1),
    ]);
    const heldOut = summariseSelection(heldOutSelections(picks, ['held', 'not-in-these-runs']));
    assert.deepEqual(heldOut, { tasks: 1, chosenMeanReward: 0, averageMeanReward: 0.5, oracleMeanReward: 1 });
    const text = formatSelection(summariseSelection(picks), heldOut, {
      holdout_accuracy: 0.5,
      holdout_majority_accuracy: 0.5,
    });
    assert.equal(
      text,
      'held-out tasks (1, never trained on): mean reward: chosen 0.000, any attempt 0.500, best possible 1.000; verifier accuracy 0.500 (always guessing the common outcome: 0.500)\n' +
        'all 2 tasks (includes tasks the verifier was trained on): mean reward: chosen 0.500, any attempt 0.500, best possible 1.000',
    );
    assert.match(
      formatSelection(summariseSelection(picks), summariseSelection([]), { holdout_accuracy: null }),
      /^held-out tasks: none of these runs/,
    );
  });
});

test('candidates for best-of-N: cancelled runs and infrastructure failures are not attempts, each named', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'candidates-'));
  const spec = { taskId: 'task-a', turns: 1 };
  await recordRun(runs, { ...spec, runId: 'solved', attempt: 0, reward: 1 });
  await recordRun(runs, { ...spec, runId: 'stopped', attempt: 1, reward: null, exit: 'cancelled' });
  await recordRun(runs, { ...spec, runId: 'broken', attempt: 2, reward: null, exit: 'infra_error' });
  const scan = await collectCandidates([runs]);
  assert.deepEqual(
    scan.candidates.map((candidate) => candidate.runId),
    ['solved'],
  );
  assert.deepEqual(scan.skipped.map((line) => line.replace(`${runs}/`, '')).sort(), [
    'broken/trajectory.jsonl: infrastructure failure, not an attempt',
    'stopped/trajectory.jsonl: cancelled, not an attempt',
  ]);
});
