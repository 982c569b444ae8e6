import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset } from '../../../src/core/export/exporter';
import { exportTurns } from '../../../src/core/export/messages';
import { importTrajectories } from '../../../src/core/trajectory/import/importer';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';

/**
 * Runs that use every corner of the schema: events, logprobs, null content, extras, a call's vendor extension,
 * truncation, errors.
 */
async function richRuns(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'roundtrip-runs-'));
  for (const [attempt, reward] of [1, 0].entries()) {
    const recorder = await TrajectoryRecorder.start(out, {
      ...sampleRun(`rich-${attempt}`, 'task-rich', attempt),
      extra: { batch: 'nightly', seed: 7 },
    });
    await recorder.recordEvent('note', { phase: 'setup' });
    await recorder.recordTurn({
      ...sampleTurn(0),
      logprobs: { token_ids: [5, 6], logprobs: [-0.5, -0.25] },
      prompt_token_ids: [1, 2, 3],
    });
    const turn1 = sampleTurn(1, { output: 'x'.repeat(100) });
    const [reply] = turn1.messages;
    const signed = reply.tool_calls!.map((call) => ({
      ...call,
      extra_content: { google: { thought_signature: 'EjQKMgEMOdbHJChLX75QUCJj/AIzaSy+Qb7YqW2==' } },
    }));
    turn1.messages[0] = { ...reply, content: null, tool_calls: signed, extra: { reasoning: 'think' } };
    turn1.observations[0] = {
      ...turn1.observations[0],
      truncated: true,
      original_bytes: 250_000,
      is_error: true,
      exit_code: 2,
    };
    turn1.extra = { compaction_hint: true };
    await recorder.recordTurn(turn1);
    await recorder.recordEvent('compaction', { dropped_turns: 1, summary: 'looked at calc.py' });
    await recorder.recordEvent('error', { message: 'bad JSON arguments', infra: false });
    await recorder.recordTurn(sampleTurn(2, { command: `pytest -q # attempt ${attempt}` }));
    await recorder.finish({
      ...sampleResult(reward, reward ? 'submitted' : 'turn_limit'),
      error: reward ? undefined : 'turn limit 3 reached',
      extra: { grader: 'pytest' },
    });
  }
  return out;
}

async function readAll(dir: string): Promise<Map<string, Trajectory>> {
  const runs = new Map<string, Trajectory>();
  for (const name of readdirSync(dir)) {
    if (name === 'index.jsonl') continue;
    const read = await readTrajectoryLog(join(dir, name, 'trajectory.jsonl'));
    assert.deepEqual(read.problems, []);
    runs.set(read.trajectory!.run.run_id, read.trajectory!);
  }
  return runs;
}

describe('export → import round trip', () => {
  test("this project's trajectories survive swe-agent-traj export and import without any loss", async () => {
    const runs = await richRuns();
    const exported = mkdtempSync(join(tmpdir(), 'roundtrip-traj-'));
    await exportDataset({ runs: [runs], format: 'swe-agent-traj', out: exported, command: 'test' });
    const imported = mkdtempSync(join(tmpdir(), 'roundtrip-imported-'));
    for (const file of readdirSync(exported).filter((name) => name.endsWith('.traj'))) {
      await importTrajectories(join(exported, file), 'swe-agent', imported);
    }
    const before = await readAll(runs);
    const after = await readAll(imported);
    assert.equal(after.size, 2);
    for (const [runId, original] of before)
      assert.deepEqual(after.get(runId), original, `run ${runId} changed in the round trip`);
  });

  test('sft export → openai import keeps every message, the tools, and the task, run and reward', async () => {
    const runs = await richRuns();
    const exported = mkdtempSync(join(tmpdir(), 'roundtrip-sft-'));
    await exportDataset({ runs: [runs], format: 'sft', out: exported, command: 'test' });
    const imported = mkdtempSync(join(tmpdir(), 'roundtrip-sft-imported-'));
    await importTrajectories(join(exported, 'train.jsonl'), 'openai', imported);
    const before = await readAll(runs);
    const after = await readAll(imported);
    for (const [runId, original] of before) {
      const copy = after.get(runId);
      assert.ok(copy, `run ${runId} missing after import`);
      assert.deepEqual(exportTurns(copy.turns), exportTurns(original.turns));
      assert.deepEqual(copy.run.tools, original.run.tools);
      assert.equal(copy.run.task_id, original.run.task_id);
      assert.equal(copy.run.attempt, original.run.attempt);
      assert.equal(copy.result?.reward?.value, original.result?.reward?.value);
      assert.equal(copy.result?.exit_status, original.result?.exit_status);
      assert.equal(copy.turns.length, original.turns.length);
    }
  });
});
