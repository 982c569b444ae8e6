import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportDataset, type ExportOptions } from '../../../src/core/export/exporter';
import { groupAdvantages } from '../../../src/core/export/rl';
import { TrajectoryRecorder, type TurnInput } from '../../../src/core/trajectory/recorder';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';
import { assertValid, sampleRunsFolder } from './fixtures';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

interface TrlCase {
  groups: (number | null)[][];
  advantages: number[][];
}

function rowsOf(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Records a run from turn inputs (each turn: its command and the output the tool gave). */
async function recordAttempt(out: string, runId: string, attempt: number, reward: number, turns: TurnInput[]) {
  const recorder = await TrajectoryRecorder.start(out, sampleRun(runId, 'task-pair', attempt));
  for (const turn of turns) await recorder.recordTurn(turn);
  await recorder.finish(sampleResult(reward));
}

/** The turn with its call id replaced, as another server call would have assigned it. */
function withCallId(turn: TurnInput, id: string): TurnInput {
  return {
    ...turn,
    messages: turn.messages.map((message) => ({
      ...message,
      ...(message.tool_calls ? { tool_calls: message.tool_calls.map((call) => ({ ...call, id })) } : {}),
      ...(message.tool_call_id !== undefined ? { tool_call_id: id } : {}),
    })),
    observations: turn.observations.map((observation) => ({ ...observation, tool_call_id: id })),
  };
}

async function exportPairs(runs: string, extra: Partial<ExportOptions> = {}) {
  const out = mkdtempSync(join(tmpdir(), 'dpo-pairs-'));
  const summary = await exportDataset({ runs: [runs], format: 'dpo', out, command: 'test', ...extra });
  return { rows: summary.stats.rows ? rowsOf(join(out, 'train.jsonl')) : [], summary, out };
}

describe('DPO pairs where two attempts part', () => {
  test('the prompt is the shared context up to the first differing assistant turn; the completions are that turn', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    const shared = [sampleTurn(0, { command: 'ls' }), sampleTurn(1, { command: 'cat calc.py' })];
    await recordAttempt(runs, 'good', 0, 1, [...shared, sampleTurn(2, { command: 'sed -i s/-/+/ calc.py' })]);
    await recordAttempt(runs, 'bad', 1, 0, [
      ...shared,
      sampleTurn(2, { command: 'rm calc.py' }),
      sampleTurn(3, { command: 'echo done' }),
    ]);
    const { rows } = await exportPairs(runs);
    assert.equal(rows.length, 1);
    const [row] = rows;
    assertValid('dpo', row);
    const prompt = row.prompt as { role: string }[];
    assert.deepEqual(
      prompt.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'assistant', 'tool'],
    );
    const chosen = row.chosen as { role: string; tool_calls: { function: { arguments: unknown } }[] }[];
    const rejected = row.rejected as typeof chosen;
    assert.equal(chosen.length, 1, 'one assistant turn, not the rest of the trajectory');
    assert.equal(rejected.length, 1);
    assert.deepEqual(chosen[0].tool_calls[0].function.arguments, { command: 'sed -i s/-/+/ calc.py' });
    assert.deepEqual(rejected[0].tool_calls[0].function.arguments, { command: 'rm calc.py' });
    assert.equal((row.metadata as { turn_index: number }).turn_index, 2);

    const remainder = await exportPairs(runs, { dpoCompletion: 'remainder' });
    assert.deepEqual(
      (remainder.rows[0].rejected as { role: string }[]).map((message) => message.role),
      ['assistant', 'tool', 'assistant', 'tool'],
      'with --dpo-completion remainder, everything from the parting turn on',
    );
  });

  test('the same call under different ids is shared: the pair forms at the first different action', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    const sameCall = sampleTurn(0, { command: 'ls' });
    await recordAttempt(runs, 'good', 0, 1, [
      withCallId(sameCall, 'call_Xy7'),
      sampleTurn(1, { command: 'sed -i s/-/+/ calc.py' }),
    ]);
    await recordAttempt(runs, 'bad', 1, 0, [
      withCallId(sameCall, 'call_q2P'),
      sampleTurn(1, { command: 'rm calc.py' }),
    ]);
    const { rows } = await exportPairs(runs);
    assert.equal(rows.length, 1);
    assert.equal((rows[0].metadata as { turn_index: number }).turn_index, 1, 'not at the call that differs in its id');
    const prompt = rows[0].prompt as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    assert.equal(prompt[2].tool_calls?.[0].id, 'call_Xy7', "the prompt keeps the chosen attempt's ids as recorded");
    assert.equal(prompt[3].tool_call_id, 'call_Xy7');
  });

  test('rewards 0.7 and 0.2 meet the default margin of 0.5, though their float difference is 0.49999999999999994', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    await recordAttempt(runs, 'good', 0, 0.7, [sampleTurn(0, { command: 'sed -i s/-/+/ calc.py' })]);
    await recordAttempt(runs, 'bad', 1, 0.2, [sampleTurn(0, { command: 'rm calc.py' })]);
    const { rows } = await exportPairs(runs);
    assert.equal(rows.length, 1);
    assertValid('dpo', rows[0]);
  });

  test('equal rewards never pair, even under a margin smaller than the float tolerance', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    await recordAttempt(runs, 'one', 0, 0.5, [sampleTurn(0, { command: 'sed -i s/-/+/ calc.py' })]);
    await recordAttempt(runs, 'other', 1, 0.5, [sampleTurn(0, { command: 'rm calc.py' })]);
    const { rows } = await exportPairs(runs, { minMargin: 1e-12 });
    assert.equal(rows.length, 0);
  });

  test('of two identical conversations scored differently, the better-rewarded one is kept, whatever the file order', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    const identical = [sampleTurn(0, { command: 'sed -i s/-/+/ calc.py' })];
    await recordAttempt(runs, 'a-flaky-grade', 0, 0, identical);
    await recordAttempt(runs, 'b-same-graded-well', 1, 1, identical);
    await recordAttempt(runs, 'c-other', 2, 0, [sampleTurn(0, { command: 'rm calc.py' })]);
    const { rows, summary } = await exportPairs(runs);
    assert.equal(summary.stats.skipped.get('duplicate'), 1);
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [
        (rows[0].metadata as { chosen_run_id: string }).chosen_run_id,
        (rows[0].metadata as { rejected_run_id: string }).rejected_run_id,
      ],
      ['b-same-graded-well', 'c-other'],
    );
  });

  test('two attempts that first differ at a tool message make no pair: skipped and counted, not a broken row', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'dpo-runs-'));
    await recordAttempt(runs, 'lucky', 0, 1, [
      sampleTurn(0, { command: 'pytest -x', output: '1 passed' }),
      sampleTurn(1, { command: 'git diff' }),
    ]);
    await recordAttempt(runs, 'flaky', 1, 0, [
      sampleTurn(0, { command: 'pytest -x', output: '1 failed (timeout)' }),
      sampleTurn(1, { command: 'git status' }),
    ]);
    const { rows, summary, out } = await exportPairs(runs);
    assert.equal(rows.length, 0);
    assert.equal(summary.stats.pairsNotFormed.get('diverged_at_observation'), 1);
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /pairs not formed: diverged_at_observation 1/);
  });
});

describe('GRPO advantages', () => {
  test('match what TRL computed on the same rewards (TRL 1.13.0, committed output)', () => {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, 'trl-grpo', 'advantages.json'), 'utf8')) as {
      produced_by: { trl: string };
      cases: TrlCase[];
    };
    assert.equal(fixture.produced_by.trl, '1.13.0');
    let compared = 0;
    for (const { groups, advantages } of fixture.cases) {
      groups.forEach((rewards, g) => {
        const ours = groupAdvantages(rewards);
        ours.forEach((value, k) => {
          // TRL computes in float32.
          assert.ok(
            Math.abs(value - advantages[g][k]) < 1e-5,
            `${JSON.stringify(rewards)}[${k}]: ${value} vs TRL ${advantages[g][k]}`,
          );
          compared += 1;
        });
      });
    }
    assert.ok(compared >= 20);
  });

  test('groups are formed before --min-reward drops runs: a kept run keeps its advantage; the card says so', async () => {
    const { out: runs } = await sampleRunsFolder();
    const all = mkdtempSync(join(tmpdir(), 'rl-all-'));
    await exportDataset({ runs: [runs], format: 'rl', out: all, command: 'test' });
    const filtered = mkdtempSync(join(tmpdir(), 'rl-filtered-'));
    const summary = await exportDataset({ runs: [runs], format: 'rl', out: filtered, command: 'test', minReward: 0.5 });
    const advantageOf = (rows: Record<string, unknown>[]) =>
      new Map(rows.map((row) => [(row.metadata as { run_id: string }).run_id, row.advantage as number]));
    const before = advantageOf(rowsOf(join(all, 'train.jsonl')));
    const after = advantageOf(rowsOf(join(filtered, 'train.jsonl')));
    assert.ok(after.size > 0 && after.size < before.size);
    for (const [runId, advantage] of after) assert.equal(advantage, before.get(runId), runId);
    assert.ok((summary.stats.skipped.get('below_min_reward') ?? 0) > 0);
    assert.match(readFileSync(join(filtered, 'README.md'), 'utf8'), /before --min-reward and --resolved-only/);
  });
});
