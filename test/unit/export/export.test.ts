import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset, type ExportOptions } from '../../../src/core/export/exporter';
import { creditedTurnRewards, groupAdvantages, turnReturns } from '../../../src/core/export/rl';
import { parseSplit, splitOf } from '../../../src/core/export/split';
import { toSweAgentTraj } from '../../../src/core/export/sweAgentTraj';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { Turn } from '../../../src/core/trajectory/types';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';
import { assertValid, sampleRunsFolder } from './fixtures';

function rowsOf(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('rollout export', () => {
  let runs: string;
  let corrupted: string;
  before(async () => {
    ({ out: runs, corrupted } = await sampleRunsFolder());
  });

  async function run(format: ExportOptions['format'], extra: Partial<ExportOptions> = {}) {
    const out = mkdtempSync(join(tmpdir(), `export-${format}-`));
    const reports: string[] = [];
    const summary = await exportDataset({
      runs: [runs],
      format,
      out,
      command: `rollout export --format ${format}`,
      report: (m) => reports.push(m),
      ...extra,
    });
    return { out, reports, summary };
  }

  test('an export into the folder of an earlier one replaces its files: no split or run of it stays behind', async () => {
    const { out } = await run('sft', { split: parseSplit('val=0.4') });
    assert.ok(readdirSync(out).includes('val.jsonl'));
    writeFileSync(join(out, 'notes.jsonl'), '{"mine": true}\n');
    const again = (extra: Partial<ExportOptions>) =>
      exportDataset({
        runs: [runs],
        out,
        command: 'rollout export',
        report: () => undefined,
        ...extra,
      } as ExportOptions);
    await again({ format: 'sft', resolvedOnly: true });
    assert.deepEqual(readdirSync(out).sort(), ['.rollout-export.json', 'README.md', 'notes.jsonl', 'train.jsonl']);
    await again({ format: 'swe-agent-traj' });
    const trajs = readdirSync(out).filter((file) => file.endsWith('.traj'));
    assert.ok(trajs.length > 0);
    await again({ format: 'sft', minReward: 5 });
    assert.deepEqual(readdirSync(out).sort(), ['.rollout-export.json', 'README.md', 'notes.jsonl']);
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /rollout export/);
  });

  test('an aborted export stops between runs with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('export was cancelled'));
    await assert.rejects(run('sft', { signal: controller.signal }), /export was cancelled/);
  });

  test('sft: OpenAI chat rows valid against the schema, deduplicated, split by task, with a dataset card', async () => {
    const { out, reports, summary } = await run('sft', { split: parseSplit('val=0.4') });
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['.rollout-export.json', 'README.md', 'train.jsonl', 'val.jsonl']);
    const train = rowsOf(join(out, 'train.jsonl'));
    const val = rowsOf(join(out, 'val.jsonl'));
    for (const row of [...train, ...val]) assertValid('sft', row);
    // 18 good runs + 1 duplicate; infra, unfinished and corrupted are skipped.
    assert.equal(train.length + val.length, 18);
    assert.equal(summary.stats.skipped.get('duplicate'), 1);
    assert.equal(summary.stats.skipped.get('infra_error'), 1);
    assert.equal(summary.stats.skipped.get('cancelled'), 1);
    assert.equal(summary.stats.skipped.get('unfinished'), 1);
    assert.equal(summary.stats.skipped.get('malformed'), 1);
    assert.equal(
      summary.stats.skipped.get('invalid_tool_arguments'),
      1,
      'chat templates cannot render broken tool-call JSON',
    );
    const taskOf = (row: Record<string, unknown>) => (row.metadata as { task_id: string }).task_id;
    const trainTasks = new Set(train.map(taskOf));
    const valTasks = new Set(val.map(taskOf));
    assert.ok(valTasks.size > 0 && trainTasks.size > 0, 'both splits are used');
    for (const task of valTasks) assert.ok(!trainTasks.has(task), `task ${task} is in both splits`);
    for (const row of val) assert.equal(splitOf(taskOf(row), parseSplit('val=0.4')), 'val');

    const first = train[0] as {
      messages: { role: string; content: unknown; tool_calls?: { function: { arguments: unknown } }[] }[];
      tools: unknown[];
    };
    assert.equal(first.messages[0].role, 'system');
    assert.deepEqual(
      first.messages[2].tool_calls?.[0].function.arguments,
      { command: 'grep -n add calc.py # task-alpha-a0 0' },
      'arguments are objects by default: what TRL and the Qwen/Llama templates render without quoting twice',
    );
    assert.ok(first.messages.every((message) => typeof message.content === 'string'));
    assert.equal(first.tools.length, 1);

    assert.ok(
      reports.some(
        (m) => m.startsWith(`error: ${corrupted}:5: invalid turn line`) && m.includes('/turn/messages/0/role'),
      ),
      reports.join('\n'),
    );
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(card, /rollout export --format sft/);
    assert.match(card, /runs exported: 18/);
    assert.match(card, /\| 0\.9–1\.0 \(incl\.\) \| 6 \|/);
    assert.match(card, /duplicate 1/);
    assert.match(card, /turns: min 2, mean 3\.0, max 4/);
  });

  test('sft: conversations that differ only in their call ids are duplicates', async () => {
    const ids = mkdtempSync(join(tmpdir(), 'sft-ids-'));
    for (const [attempt, callId] of ['call_a1', 'call_b2'].entries()) {
      const recorder = await TrajectoryRecorder.start(ids, sampleRun(`ids-${attempt}`, 'task-ids', attempt));
      const turn = sampleTurn(0);
      turn.messages[2].tool_calls![0].id = callId;
      turn.messages[3].tool_call_id = callId;
      await recorder.recordTurn(turn);
      await recorder.finish(sampleResult(1));
    }
    const { summary } = await run('sft', { runs: [ids] });
    assert.equal(summary.stats.rows, 1);
    assert.equal(summary.stats.skipped.get('duplicate'), 1);
  });

  test('sft: --min-reward and --resolved-only filter runs', async () => {
    const resolved = await run('sft', { resolvedOnly: true });
    const rows = rowsOf(join(resolved.out, 'train.jsonl'));
    assert.equal(rows.length, 6);
    assert.ok(rows.every((row) => (row.metadata as { resolved: boolean }).resolved === true));
    const min = await run('sft', { minReward: 0.2 });
    assert.equal(rowsOf(join(min.out, 'train.jsonl')).length, 12);
  });

  test('dpo: pairs by reward with the minimum margin, shared prefix as prompt, valid rows', async () => {
    const { out } = await run('dpo', { minMargin: 0.5 });
    const rows = rowsOf(join(out, 'train.jsonl'));
    assert.equal(rows.length, 6, 'one pair (1 vs 0) per task; 0.25 has no partner');
    for (const row of rows) {
      assertValid('dpo', row);
      const meta = row.metadata as { chosen_reward: number; rejected_reward: number; margin: number };
      assert.ok(meta.chosen_reward - meta.rejected_reward >= 0.5);
      const prompt = row.prompt as { role: string }[];
      assert.deepEqual(
        prompt.map((m) => m.role),
        ['system', 'user'],
        'the shared prefix is the system prompt and the task',
      );
      assert.equal((row.chosen as { role: string }[])[0].role, 'assistant');
    }
    const loose = await run('dpo', { minMargin: 0.1 });
    assert.equal(
      rowsOf(join(loose.out, 'train.jsonl')).length,
      6,
      'three attempts make one pair: each attempt is used once',
    );
  });

  test('rl: one row per turn with returns and group-normalised advantages, logprobs when recorded', async () => {
    const { out } = await run('rl');
    const rows = rowsOf(join(out, 'train.jsonl'));
    for (const row of rows) assertValid('rl', row);
    const alpha = rows.filter((row) => (row.metadata as { task_id: string }).task_id === 'task-alpha');
    // alpha: a0 (3 turns), a1 (2), a2 (4), dup (3): not deduplicated for RL.
    assert.equal(alpha.length, 12);
    const badArguments = rows.filter((row) => (row.metadata as { run_id: string }).run_id === 'task-delta-badargs');
    assert.equal(badArguments.length, 2, 'RL keeps turns with broken tool calls: they are what a penalty is for');
    const byRun = new Map(alpha.map((row) => [(row.metadata as { run_id: string }).run_id, row.advantage as number]));
    // What TRL 1.13.0's GRPOTrainer computed for this group's rewards [1, 0, 0.25, 1] (the last case of
    // test/fixtures/trl-grpo/advantages.json; float32).
    const trl = { 'task-alpha-a0': 0.84871, 'task-alpha-a1': -1.0911986, 'task-alpha-a2': -0.6062214 };
    for (const [runId, advantage] of Object.entries(trl))
      assert.ok(
        Math.abs((byRun.get(runId) ?? NaN) - advantage) < 1e-5,
        `${runId}: ${byRun.get(runId)} vs TRL ${advantage}`,
      );
    const withLogprobs = alpha.find((row) => (row.metadata as { run_id: string }).run_id === 'task-alpha-a0');
    assert.deepEqual(withLogprobs?.token_ids, [101, 102, 103]);
    assert.deepEqual(withLogprobs?.loss_mask, [1, 1, 1]);
    const second = alpha.find(
      (row) => row.turn_index === 1 && (row.metadata as { run_id: string }).run_id === 'task-alpha-a0',
    );
    assert.equal(
      (second?.prompt as unknown[]).length,
      4,
      'turn 1 sees system, task, and turn 0 assistant + tool messages',
    );
  });

  test("rl: the prompt's token ids, token ids, logprobs and loss mask only as the server returned them, the mask one per id; the card counts them", async () => {
    const served = mkdtempSync(join(tmpdir(), 'rl-tokens-'));
    const recorded: Record<string, Pick<Turn, 'logprobs' | 'prompt_token_ids'>> = {
      'openai-logprobs-only': { logprobs: { token_ids: [], logprobs: [-0.1, -0.2] } },
      'vllm-ids-only': { logprobs: { token_ids: [7, 8, 9], logprobs: [] }, prompt_token_ids: [1, 2, 3, 4] },
      'vllm-both': { logprobs: { token_ids: [7, 8], logprobs: [-0.1, -0.2] }, prompt_token_ids: [1, 2, 5] },
      // Recorded before the prompt's ids were kept.
      misaligned: { logprobs: { token_ids: [7, 8, 9], logprobs: [-0.1] } },
    };
    for (const [attempt, [runId, tokens]] of Object.entries(recorded).entries()) {
      const recorder = await TrajectoryRecorder.start(served, sampleRun(runId, 'task-tokens', attempt));
      await recorder.recordTurn({ ...sampleTurn(0), ...tokens });
      await recorder.finish(sampleResult(1));
    }
    const { out } = await run('rl', { runs: [served] });
    const rows = rowsOf(join(out, 'train.jsonl'));
    for (const row of rows) assertValid('rl', row);
    const tokens = Object.fromEntries(
      rows.map((row) => [
        (row.metadata as { run_id: string }).run_id,
        [row.prompt_token_ids, row.token_ids, row.logprobs, row.loss_mask],
      ]),
    );
    assert.deepEqual(tokens, {
      'openai-logprobs-only': [undefined, undefined, [-0.1, -0.2], undefined],
      'vllm-ids-only': [[1, 2, 3, 4], [7, 8, 9], undefined, [1, 1, 1]],
      'vllm-both': [
        [1, 2, 5],
        [7, 8],
        [-0.1, -0.2],
        [1, 1],
      ],
      misaligned: [undefined, [7, 8, 9], undefined, [1, 1, 1]],
    });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(
      card,
      /Token data \(of 4 rows\): prompt_token_ids in 2, token_ids with a loss_mask in 3, logprobs in 2, logprobs left out as not one per token id in 1\./,
    );
  });

  test('rl helpers: advantages sum to zero; returns count each credited turn reward once', () => {
    const advantages = groupAdvantages([1, 0, 0.5, 0.5]);
    assert.ok(Math.abs(advantages.reduce((a, b) => a + b, 0)) < 1e-9);
    assert.deepEqual(groupAdvantages([1, 1]), [0, 0]);
    const turns = [0, 1, 2].map((index) => ({ index, messages: [], observations: [], signals: { diff_changed: 1 } }));
    // A gated run: outcome 1 plus credited turn rewards 0.1 + 0.1 + 0.05 = 1.25.
    const credited = creditedTurnRewards(turns, { value: 1.25, turn_rewards: [0.1, 0.1, 0.05] });
    assert.deepEqual(turnReturns(credited, 1.25), [1.25, 1.15, 1.05], 'the first return is the run reward itself');
    const binary = creditedTurnRewards(turns, { value: 1 });
    assert.deepEqual(turnReturns(binary, 1), [1, 1, 1], 'a reward that counts no turn rewards credits none');
  });

  test('swebench-preds: the best attempt per task, valid predictions', async () => {
    const { out } = await run('swebench-preds');
    const rows = rowsOf(join(out, 'preds.jsonl'));
    assert.equal(rows.length, 6);
    for (const row of rows) assertValid('swebench-preds', row);
    assert.equal(rows[0].instance_id, 'task-alpha');
    assert.equal(rows[0].model_name_or_path, 'gpt-4o-mini');
    assert.match(rows[0].model_patch as string, /\+    return a \+ b/);
    const array = readFileSync(join(out, 'preds.json'), 'utf8');
    assert.deepEqual(JSON.parse(array), rows, 'preds.json holds the same predictions as one JSON array');
    assert.equal(array.split('\n').length, rows.length + 3, 'one prediction on each line, between [ and ]');
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /preds\.jsonl[\s\S]*preds\.json\b/);
    const none = await run('swebench-preds', { minReward: 100 });
    assert.deepEqual(
      JSON.parse(readFileSync(join(none.out, 'preds.json'), 'utf8')),
      [],
      'no run passes: an empty array',
    );
    await assert.rejects(
      run('swebench-preds', { split: parseSplit('val=0.1') }),
      /--split does not apply to --format swebench-preds/,
    );
  });

  test('swe-agent-traj: one valid .traj per run', async () => {
    const { out } = await run('swe-agent-traj');
    const files = readdirSync(out).filter((name) => name.endsWith('.traj'));
    assert.equal(files.length, 20);
    for (const file of files) assertValid('swe-agent-traj', JSON.parse(readFileSync(join(out, file), 'utf8')));
    const traj = JSON.parse(readFileSync(join(out, 'task-alpha-a0.traj'), 'utf8')) as {
      trajectory: { action: string }[];
      info: { submission: string };
    };
    assert.equal(traj.trajectory[0].action, 'grep -n add calc.py # task-alpha-a0 0');
    const original = await readTrajectoryLog(join(runs, 'task-alpha-a0', 'trajectory.jsonl'));
    assert.equal(traj.info.submission, original.trajectory?.result?.patch);
    const [first, ...rest] = original.trajectory!.turns;
    const unpriced = { ...first };
    delete unpriced.cost_usd;
    const unfinished = toSweAgentTraj({ ...original.trajectory!, turns: [unpriced, ...rest], result: undefined });
    assert.ok(
      !('instance_cost' in (unfinished.info.model_stats as object)),
      'an unknown cost is left out, not a partial sum or 0',
    );
    // The run's totals count a summary (the agent's own context compaction) and a judge's call, each also in its
    // event: SWE-agent's stats are the agent's calls, its turns and summaries, and leave out the judge's.
    const finished = original.trajectory!.result!;
    const call = (role: string, tokens_in: number, tokens_out: number, cost_usd: number) => ({
      role,
      calls: 1,
      tokens_in,
      tokens_out,
      cost_usd,
      model_ms: 9,
    });
    const event = (kind: string, usage: object) => ({ kind, at: finished.ended_at, after_turn: 1, data: { usage } });
    const turns = original.trajectory!.turns;
    const turnsSum = (field: 'input' | 'output') => turns.reduce((sum, turn) => sum + turn.tokens![field], 0);
    const turnsCost = turns.reduce((sum, turn) => sum + turn.cost_usd!, 0);
    const judged = toSweAgentTraj({
      ...original.trajectory!,
      events: [
        ...original.trajectory!.events,
        event('compaction', call('summary', 100, 10, 0.125)),
        event('judge_verdict', call('judge', 500, 20, 0.25)),
      ],
      result: {
        ...finished,
        totals: {
          ...finished.totals!,
          tokens_in: turnsSum('input') + 100 + 500,
          tokens_out: turnsSum('output') + 10 + 20,
          cost_usd: turnsCost + 0.125 + 0.25,
        },
      },
    });
    const { instance_cost, ...counts } = judged.info.model_stats as Record<string, number>;
    assert.ok(Math.abs(instance_cost - (turnsCost + 0.125)) < 1e-12, `instance_cost ${instance_cost}`);
    assert.deepEqual(counts, {
      tokens_sent: turnsSum('input') + 100,
      tokens_received: turnsSum('output') + 10,
      api_calls: turns.length + 1,
    });
  });

  test('split specs are checked', () => {
    assert.throws(() => parseSplit('val'), /expected NAME=FRACTION/);
    assert.throws(() => parseSplit('val=1.5'), /expected NAME=FRACTION|between 0 and 1/);
    assert.throws(() => parseSplit('train=0.1'), /name the held-out one/);
  });
});
