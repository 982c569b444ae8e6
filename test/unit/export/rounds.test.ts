import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportDataset } from '../../../src/core/export/exporter';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';
import { assertValid } from './fixtures';

type Round = { round: number; reward: number; resolved: boolean };

/** A test-feedback run: two turns per round, the feedback opening each later round, as the protocol records it. */
async function recordFeedbackRun(out: string, runId: string, taskId: string, rounds: Round[]): Promise<void> {
  const run = sampleRun(runId, taskId);
  const recorder = await TrajectoryRecorder.start(out, {
    ...run,
    extra: { protocol: { name: 'swe-feedback', spec: { reward: 'binary', feedback: { rounds: 2, source: 'tests' } } } },
  });
  let index = 0;
  for (const { round } of rounds) {
    for (let step = 0; step < 2; step += 1) {
      const turn = sampleTurn(index, { command: `echo ${runId} ${index}` });
      if (step === 0 && round > 1)
        turn.messages.unshift({
          role: 'user',
          content: `Your submission (round ${round - 1} of 3) does not resolve the issue yet.`,
          extra: { speaker: 'test_feedback', round: round - 1 },
        });
      await recorder.recordTurn(turn);
      index += 1;
    }
  }
  const last = rounds[rounds.length - 1];
  await recorder.finish({
    exit_status: 'submitted',
    patch: '',
    reward: { value: last.reward, resolved: last.resolved, report: { reward_fn: 'binary', rounds } },
  });
}

test('exports of test-feedback runs give each RL turn its round and round reward, and the card the success by round', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'export-rounds-runs-'));
  await recordFeedbackRun(runs, 'alpha-a0', 'task-alpha', [
    { round: 1, reward: 0, resolved: false },
    { round: 2, reward: 1, resolved: true },
  ]);
  await recordFeedbackRun(runs, 'beta-a0', 'task-beta', [{ round: 1, reward: 1, resolved: true }]);
  await recordFeedbackRun(runs, 'gamma-a0', 'task-gamma', [
    { round: 1, reward: 0, resolved: false },
    { round: 2, reward: 0, resolved: false },
    { round: 3, reward: 0, resolved: false },
  ]);
  const out = mkdtempSync(join(tmpdir(), 'export-rounds-'));
  await exportDataset({
    runs: [runs],
    format: 'rl',
    out,
    command: 'rollout export --format rl',
    report: () => undefined,
  });
  const rows = readFileSync(join(out, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { turn_index: number; metadata: Record<string, unknown> });
  for (const row of rows) assertValid('rl', row);
  const alpha = rows.filter((row) => row.metadata.run_id === 'alpha-a0');
  assert.deepEqual(
    alpha.map((row) => [row.turn_index, row.metadata.round, row.metadata.round_reward]),
    [
      [0, 1, 0],
      [1, 1, 0],
      [2, 2, 1],
      [3, 2, 1],
    ],
  );
  const beta = rows.filter((row) => row.metadata.run_id === 'beta-a0');
  assert.ok(
    beta.every((row) => !('round' in row.metadata)),
    'a run of one round has no round to name',
  );
  const card = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(card, /## Success by round \(3 runs with test feedback\)/);
  assert.match(card, /\| 1 \| 33\.3% \| {2}\|\n\| 2 \| 66\.7% \| \+33\.3 \|\n\| 3 \| 66\.7% \| \+0\.0 \|/);
});

test("with --tool-calls text, the test feedback after a turn's tool results joins them in one user message", async () => {
  const runs = mkdtempSync(join(tmpdir(), 'export-rounds-runs-'));
  await recordFeedbackRun(runs, 'alpha-a0', 'task-alpha', [
    { round: 1, reward: 0, resolved: false },
    { round: 2, reward: 1, resolved: true },
  ]);
  const out = mkdtempSync(join(tmpdir(), 'export-rounds-text-'));
  await exportDataset({
    runs: [runs],
    format: 'sft',
    out,
    command: 'rollout export --format sft --tool-calls text',
    style: { toolCalls: 'text' },
  });
  const [row] = readFileSync(join(out, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { messages: { role: string; content: string }[] });
  const roles = row.messages.map((message) => message.role);
  assert.deepEqual(roles, ['system', 'user', ...Array<string[]>(4).fill(['assistant', 'user']).flat()]);
  assert.equal(
    row.messages[5].content,
    'def add(a, b):\n    return a - b  # line 1\n\n\nYour submission (round 1 of 3) does not resolve the issue yet.',
    "turn 1's tool output, then round 1's feedback",
  );
});
