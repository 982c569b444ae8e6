/**
 * A batch tells its caller where each rollout's record is as soon as it is open: VS Code's live playback opens
 * on it, however fast the run then ends. A scripted policy and an in-memory sandbox stand in for the model and
 * the container.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import { fakeSandbox } from '../../support/fakeSandbox';
import { scripted, type Answer } from '../../support/scriptedPolicy';

const TASK = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples', 'pagekit__pagekit-14');

const submit: Answer = {
  message: {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'submit', arguments: '{"summary":"done"}' } }],
  },
};

test("each rollout's log path is told once its record is open, before the run ends, even for a run that ends at once", async () => {
  const task = (await loadTasksStrict(TASK))[0];
  const opened: Array<{ attempt: number; logPath: string; linesThen: unknown[] }> = [];
  const finished: string[] = [];
  const { summaries } = await runBatch({
    tasks: [task],
    policySpec: 'scripted',
    policy: scripted([submit, submit]),
    attempts: 2,
    workers: 1,
    outDir: mkdtempSync(join(tmpdir(), 'batch-record-opened-')),
    protocol: { reward: 'binary' },
    evaluator: { createSandbox: async () => fakeSandbox(), imageForProfile: (profile) => `unused/${profile}` },
    onRecordOpened: (_task, attempt, logPath) => {
      const lines = readFileSync(logPath, 'utf8').trim().split('\n');
      opened.push({ attempt, logPath, linesThen: lines.map((line) => (JSON.parse(line) as { type: unknown }).type) });
    },
    onFinish: (summary) => finished.push(summary.path),
  });
  assert.deepEqual(
    summaries.map((summary) => summary.exitStatus),
    ['submitted', 'submitted'],
  );
  assert.deepEqual(
    opened.map(({ attempt, logPath }) => [attempt, logPath]),
    summaries.map((summary) => [summary.attempt, summary.path]),
  );
  assert.deepEqual(
    finished,
    summaries.map((summary) => summary.path),
  );
  for (const { linesThen } of opened) assert.deepEqual(linesThen, ['run_started'], 'told before any turn or result');
});
