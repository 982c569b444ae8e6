import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset } from '../../../src/core/export/exporter';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import type { Trajectory } from '../../../src/core/trajectory/types';

/**
 * The swe-agent-traj export against SWE-agent's own readers, run on it in a scratch folder
 * (test/fixtures/swe-agent-export/README.md): its web inspector's loader and its `AgentRunResult` type.
 */
const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'swe-agent-export');

interface InspectorStep {
  thought: string | null;
  action: string | null;
  observation: string | null;
}

interface SweAgentOutputs {
  swe_agent: { commit: string };
  files: Record<
    string,
    {
      inspector: { error?: string; action_summary?: string; steps?: InspectorStep[] };
      agent_run_result: { valid: boolean; errors?: unknown[] };
    }
  >;
}

const outputs = JSON.parse(readFileSync(join(FIXTURE, 'swe-agent-outputs.json'), 'utf8')) as SweAgentOutputs;

async function sourceRuns(): Promise<Map<string, Trajectory>> {
  const runs = new Map<string, Trajectory>();
  for (const name of readdirSync(join(FIXTURE, 'runs'))) {
    const { trajectory } = await readTrajectoryLog(join(FIXTURE, 'runs', name, 'trajectory.jsonl'));
    assert.ok(trajectory, name);
    runs.set(`${trajectory.run.run_id}.traj`, trajectory);
  }
  return runs;
}

describe("the swe-agent-traj export read by SWE-agent's own code (SWE-agent 3ea751c0, committed outputs)", () => {
  test('the export of the fixture runs is still, byte for byte, the files SWE-agent read', async () => {
    const out = mkdtempSync(join(tmpdir(), 'traj-parity-'));
    await exportDataset({ runs: [join(FIXTURE, 'runs')], format: 'swe-agent-traj', out, command: 'test' });
    const exported = readdirSync(out).filter((name) => name.endsWith('.traj'));
    assert.deepEqual(exported.sort(), readdirSync(join(FIXTURE, 'exported')).sort());
    for (const name of exported)
      assert.equal(
        readFileSync(join(out, name), 'utf8'),
        readFileSync(join(FIXTURE, 'exported', name), 'utf8'),
        `${name} changed: run SWE-agent's readers on the new export (test/fixtures/swe-agent-export/README.md)`,
      );
    assert.deepEqual(Object.keys(outputs.files).sort(), exported.sort(), 'SWE-agent read every exported file');
  });

  test("SWE-agent's AgentRunResult accepts every file's info and steps", () => {
    for (const [name, read] of Object.entries(outputs.files))
      assert.deepEqual(read.agent_run_result, { valid: true }, name);
  });

  test("SWE-agent's inspector loads every file: one step per turn, the problem statement, the stats, the submission", async () => {
    const runs = await sourceRuns();
    for (const [name, { inspector }] of Object.entries(outputs.files)) {
      const run = runs.get(name);
      assert.ok(run, `${name}: no source run`);
      assert.equal(inspector.error, undefined, `${name}: the inspector failed`);
      const steps = inspector.steps ?? [];
      const summary = (inspector.action_summary ?? '').trim().split('\n');
      assert.deepEqual(
        summary.map((line) => line.split(':')[0]),
        run.turns.map((_, index) => `Step ${index + 1}`),
        `${name}: the action summary has a line per turn`,
      );
      const [stats, problem] = steps;
      const firstUser = run.turns.flatMap((turn) => turn.messages).find((message) => message.role === 'user');
      assert.equal(problem.observation, firstUser?.content, `${name}: the problem statement`);
      const totals = run.result!.totals!;
      const cost = totals.cost_usd === null ? 'N/A' : totals.cost_usd.toFixed(2);
      for (const line of [
        `Exit Status: ${run.result!.exit_status}`,
        `Instance Cost: $${cost}`,
        `Tokens Sent: ${totals.tokens_in.toLocaleString('en-US')}`,
        `Tokens Received: ${totals.tokens_out.toLocaleString('en-US')}`,
        `API Calls: ${run.turns.length}`,
      ])
        assert.ok(stats.observation?.includes(`\n${line}\n`), `${name}: the inspector's stats lack "${line}"`);
      const submission = steps.find((step) => step.action === 'Model Submission');
      assert.equal(submission?.observation, run.result!.patch, `${name}: the submission`);
      // The stats step at both ends, the problem statement, one step per turn and the submission.
      assert.equal(steps.length, run.turns.length + 4, name);
    }
  });
});
