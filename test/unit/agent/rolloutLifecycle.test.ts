/**
 * The rollout lifecycle (rollout.ts) around a SWE protocol run: how a run is closed when something fails after,
 * beside or outside the agent loop. A scripted policy and an in-memory sandbox stand in for the model and the
 * container; an empty patch is graded without a sandbox, so no test here needs the engine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Policy, PolicyResponse } from '../../../src/core/agent/policies/policy';
import { runRollout, type RolloutOptions } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import type { ExecResult, Sandbox } from '../../../src/core/sandbox/sandbox';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';

const TASK = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples', 'pagekit__pagekit-14');

/** A container stand-in: every command succeeds, the work tree never changes. */
function quietSandbox(overrides: Partial<Sandbox> = {}): Sandbox {
  const ran: ExecResult = { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
  return {
    id: 'fake',
    workdir: '/repo',
    baseCommit: 'base',
    exec: async () => ran,
    readFile: async () => Buffer.from(''),
    writeFile: async () => undefined,
    diff: async () => '',
    snapshot: async () => ({ id: 's' }),
    restore: async () => undefined,
    destroy: async () => undefined,
    ...overrides,
  };
}

type Answer = Partial<PolicyResponse> | (() => Promise<Partial<PolicyResponse>>);

/** A policy answering from a script; `asked` counts its calls. */
function scripted(answers: Answer[]): Policy & { asked: number } {
  const policy = {
    asked: 0,
    info: { backend: 'openai' as const, model: 'scripted', parameters: {}, settings: {} },
    async next(): Promise<PolicyResponse> {
      policy.asked++;
      const answer = answers.shift();
      if (!answer) throw new Error('the script ran out');
      const partial = typeof answer === 'function' ? await answer() : answer;
      return {
        usage: { promptTokens: 100, completionTokens: 10 },
        modelMs: 1,
        retries: 0,
        message: { role: 'assistant', content: '' },
        ...partial,
      };
    },
  };
  return policy;
}

const submit: Answer = {
  message: {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'submit', arguments: '{"summary":"done"}' } }],
  },
};

describe('rollout lifecycle: closing a run whatever fails around the agent loop', () => {
  let task: Task;

  before(async () => {
    task = (await loadTasksStrict(TASK))[0];
  });

  function rollout(policy: Policy, overrides: Partial<RolloutOptions> = {}, sandbox = quietSandbox()) {
    const noSandbox = () => Promise.reject(new Error('an empty patch is graded without a sandbox'));
    return runRollout({
      task,
      policy,
      policySpec: 'scripted',
      toolbox: createDefaultToolbox(),
      protocol: { reward: 'binary' },
      outDir: mkdtempSync(join(tmpdir(), 'rollout-lifecycle-')),
      evaluator: { createSandbox: noSandbox, imageForProfile: (profile) => `unused/${profile}` },
      createSandbox: async () => sandbox,
      ...overrides,
    });
  }

  test('a graded run keeps its score when removing its container fails afterwards (the reaper removes it)', async () => {
    const engineDropped = quietSandbox({
      destroy: () => Promise.reject(new Error('socket hang up: the engine dropped the connection')),
    });
    const summary = await rollout(scripted([submit]), {}, engineDropped);
    assert.equal(summary.exitStatus, 'submitted', summary.reason);
    assert.equal(summary.reward, 0, 'an empty patch is graded: 0, not unscored');
    const { trajectory } = await readTrajectoryLog(summary.path);
    assert.equal(trajectory?.result?.exit_status, 'submitted');
    assert.equal(trajectory?.result?.reward?.value, 0);
  });

  test('a cancel that lands while a feedback model is asked ends the run as cancelled, unscored, not infra_error', async () => {
    const controller = new AbortController();
    const reviewer = scripted([
      () => {
        controller.abort();
        return Promise.reject(controller.signal.reason);
      },
    ]);
    const summary = await rollout(scripted([submit]), {
      signal: controller.signal,
      protocol: { reward: 'binary', feedback: { rounds: 1, source: 'model', policySpec: 'reviewer' } },
      createPolicy: async () => reviewer,
    });
    assert.equal(summary.exitStatus, 'cancelled');
    assert.equal(summary.reward, null);
    const { trajectory } = await readTrajectoryLog(summary.path);
    assert.equal(trajectory?.result?.exit_status, 'cancelled');
    assert.equal(trajectory?.result?.reward, null);
  });

  test("a run closed as infra_error by a failure outside the loop still counts the protocol models' tokens", async () => {
    const reviewer = scripted([
      {
        message: { role: 'assistant', content: 'Look at page_count.' },
        usage: { promptTokens: 700, completionTokens: 20 },
      },
      () => Promise.reject(new Error('the feedback server is down')),
    ]);
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
    await assert.rejects(
      rollout(scripted([submit, submit]), {
        outDir,
        runId: 'r1',
        protocol: { reward: 'binary', feedback: { rounds: 2, source: 'model', policySpec: 'reviewer' } },
        createPolicy: async () => reviewer,
      }),
      /the feedback server is down/,
    );
    const { trajectory } = await readTrajectoryLog(join(outDir, 'r1', 'trajectory.jsonl'));
    assert.equal(trajectory?.result?.exit_status, 'infra_error');
    assert.equal(trajectory?.result?.totals?.tokens_in, 2 * 100 + 700, "the agent's two turns and the feedback call");
    assert.equal((trajectory?.result?.extra?.usage as Record<string, { calls: number }>).feedback.calls, 1);
  });
});
