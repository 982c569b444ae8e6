/**
 * What a resume continues with (`rollout run --resume`, the Runs view's Resume Run): the run's recorded policy,
 * model settings, protocol settings and limits, each replaced by one given; refused, naming why, for a finished run
 * and for a log with no run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { planResume } from '../../../src/core/agent/resumePlan';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { ExitStatus, RunMetadata } from '../../../src/core/trajectory/types';

const outDir = mkdtempSync(join(tmpdir(), 'resume-plan-'));

/** A run recorded with its settings, ended with `exitStatus` (or left unfinished); returns its log's path. */
async function recordedRun(runId: string, exitStatus?: ExitStatus): Promise<string> {
  const run: RunMetadata = {
    run_id: runId,
    task_id: 'pagekit__pagekit-14',
    attempt: 2,
    policy: 'openai:gpt-4o@http://127.0.0.1:8000/v1',
    model: { name: 'gpt-4o', parameters: {} },
    tools: [],
    tool_versions: {},
    started_at: new Date().toISOString(),
    extra: {
      agent_config: { maxTurns: 7, maxCostUsd: null },
      model_setup: { settings: { temperature: 0.2, top_p: 0.9 } },
      protocol: { name: 'swe', spec: { reward: 'partial-credit' } },
    },
  };
  const recorder = await TrajectoryRecorder.start(outDir, run, { fsync: false });
  if (exitStatus) await recorder.finish({ exit_status: exitStatus, patch: '', reward: null });
  await recorder.close();
  return join(outDir, runId, 'trajectory.jsonl');
}

describe('planResume', () => {
  after(() => rmSync(outDir, { recursive: true, force: true }));

  test('a cancelled run goes on with what it recorded, in its own output folder', async () => {
    const plan = await planResume(await recordedRun('cancelled-run', 'cancelled'));
    assert.equal(plan.run.run_id, 'cancelled-run');
    assert.equal(plan.run.attempt, 2);
    assert.equal(plan.outDir, outDir);
    assert.equal(plan.policySpec, 'openai:gpt-4o@http://127.0.0.1:8000/v1');
    assert.deepEqual(plan.settings, { temperature: 0.2, top_p: 0.9 });
    assert.deepEqual(plan.protocol, { reward: 'partial-credit' });
    assert.deepEqual(plan.config, { maxTurns: 7, maxCostUsd: Number.POSITIVE_INFINITY });
  });

  test('what is given now replaces each recorded setting, the others kept', async () => {
    const plan = await planResume(await recordedRun('killed-run'), {
      policySpec: 'ollama:qwen3',
      settings: { temperature: 0 },
      protocol: { reward: 'binary' },
      config: { maxTurns: 20 },
    });
    assert.equal(plan.policySpec, 'ollama:qwen3');
    assert.deepEqual(plan.settings, { temperature: 0, top_p: 0.9 });
    assert.deepEqual(plan.protocol, { reward: 'binary' });
    assert.deepEqual(plan.config, { maxTurns: 20, maxCostUsd: Number.POSITIVE_INFINITY });
  });

  test('a finished run is refused, naming how it ended', async () => {
    const log = await recordedRun('submitted-run', 'submitted');
    await assert.rejects(
      planResume(log),
      /^Error: run submitted-run finished \(submitted\): only a cancelled or unfinished run goes on/,
    );
  });

  test('a log with no run is refused, naming the file', async () => {
    const log = join(outDir, 'empty.jsonl');
    writeFileSync(log, '');
    await assert.rejects(planResume(log), (error: Error) => error.message.startsWith(`${log} holds no run to resume`));
  });
});
