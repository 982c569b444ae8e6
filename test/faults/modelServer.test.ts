/**
 * A model server failing in each of the ways real servers fail, under the real OpenAI-compatible policy and the
 * agent loop with the real recorder: the run ends `infra_error` (never scored) after a bounded number of
 * attempts, records no turn made of a broken answer, and returns (no wait past the per-attempt timeout).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RunBudget } from '../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../src/core/agent/config';
import { runAgent } from '../../src/core/agent/loop';
import { OpenAIPolicy } from '../../src/core/agent/policies/openaiPolicy';
import { createDefaultToolbox } from '../../src/core/agent/tools/toolbox';
import type { Sandbox } from '../../src/core/sandbox/sandbox';
import { readTrajectoryLog } from '../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../src/core/trajectory/recorder';
import { unscorable } from '../../src/core/trajectory/types';
import { FaultyOpenAIServer, SERVER_FAULTS } from './modelServer/faultyServer';

const MAX_RETRIES = 2;

/** The loop never reaches the sandbox here: no answer ever arrives whole. */
const untouchedSandbox = new Proxy({} as Sandbox, {
  get: (_target, name) =>
    name === 'then' ? undefined : () => assert.fail(`the sandbox was used (${String(name)}) on a broken answer`),
});

describe('model-server faults (OpenAI wire format, real OpenAI-compatible policy and agent loop): infra_error after bounded retries, never scored, no hang', () => {
  for (const fault of SERVER_FAULTS)
    test(fault, { timeout: 120_000 }, async () => {
      const server = await FaultyOpenAIServer.start(fault);
      try {
        const policy = new OpenAIPolicy({
          model: 'fault-model',
          baseURL: server.baseURL,
          apiKey: 'sk-fault',
          timeoutMs: 1_500,
          retry: { maxRetries: MAX_RETRIES, baseDelayMs: 10, maxDelayMs: 50 },
        });
        const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-server-'));
        const recorder = await TrajectoryRecorder.start(outDir, {
          run_id: 'r1',
          task_id: 't1',
          attempt: 0,
          policy: `openai:fault-model@${server.baseURL}`,
          model: { name: 'fault-model', parameters: {} },
          tools: [],
          tool_versions: {},
          started_at: new Date().toISOString(),
        });
        const outcome = await runAgent({
          policy,
          toolbox: createDefaultToolbox(),
          sandbox: untouchedSandbox,
          recorder,
          config: DEFAULT_AGENT_CONFIG,
          messages: [
            { role: 'system', content: 'You fix bugs.' },
            { role: 'user', content: 'Fix it.' },
          ],
          recordedMessages: 0,
          startDiff: '',
          budget: new RunBudget(DEFAULT_AGENT_CONFIG),
          answerEndsRun: false,
        });
        await recorder.finish({ exit_status: outcome.exitStatus, patch: '', reward: null });
        assert.equal(outcome.exitStatus, 'infra_error', outcome.reason);
        assert.ok(unscorable(outcome.exitStatus));
        assert.ok(server.requests >= 1 && server.requests <= MAX_RETRIES + 1, `${server.requests} requests`);
        const { trajectory } = await readTrajectoryLog(recorder.path);
        assert.equal(trajectory?.turns.length, 0, 'no turn recorded from a broken answer');
      } finally {
        await server.close();
      }
    });
});
