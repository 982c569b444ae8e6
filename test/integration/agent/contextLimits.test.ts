/**
 * Long rollouts in real Docker against a vLLM test double with a 32k context (`max_model_len` 32768, asked of
 * its /v1/models): every turn's observation is 16 000 characters, so the conversation passes the window every
 * few turns. The run must go past 40 turns with compaction events and never stop at token_limit, with each
 * strategy; and each request the server received must be what the recorded compaction view rebuilds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { CompactionStrategy } from '../../../src/core/agent/context/contextManager';
import { createPolicy } from '../../../src/core/agent/policies/policySpec';
import { runRollout } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { requestOfTurn } from '../../../src/core/trajectory/request';
import { conversation } from '../../../src/core/trajectory/types';
import { step, type RecordedRequest, type ScriptStep } from '../../support/scriptedServer';
import { VllmServer } from '../../support/vllmServer';

const TASKS = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');
const TURNS = 44;
const MODEL = 'Qwen/Qwen2.5-Coder-7B-Instruct';

/**
 * The agent writes a long file, reads 16 000 characters of it every turn (the observation limit), then
 * submits; summary requests (no tools) get a summary.
 */
function longRun(request: RecordedRequest, agentTurn: () => number): ScriptStep {
  if (!request.body?.tools) return step.text(`Summary: read ${agentTurn()} chunks of data.txt; nothing fixed yet.`);
  const turn = agentTurn();
  if (turn === 0)
    return step.toolCall('bash', {
      command: `python3 -c "print('\\n'.join(str(i).rjust(5) + ' ' + 'x' * 150 for i in range(400)))" > data.txt`,
    });
  if (turn >= TURNS) return step.toolCall('submit', { summary: 'read everything' });
  const start = ((turn * 37) % 250) + 1;
  return step.toolCall('view', { path: 'data.txt', start_line: start, end_line: start + 120 });
}

describe('long rollouts against a 32k-context vLLM server in real Docker', () => {
  let task: Task;
  let outDir: string;

  before(async () => {
    task = (await loadTasksStrict(join(TASKS, 'pagekit__pagekit-14')))[0];
    outDir = mkdtempSync(join(tmpdir(), 'rollout-context-'));
  });

  for (const strategy of ['sliding-window', 'summarize'] as CompactionStrategy[]) {
    test(`vLLM 32k, 16k-character observations, ${strategy}: past 40 turns, compacted, never token_limit`, async () => {
      let agentTurns = 0;
      const server = await VllmServer.start([], {
        model: MODEL,
        maxModelLen: 32768,
        respond: (request) => {
          const answer = longRun(request, () => agentTurns);
          if (request.body?.tools) agentTurns++;
          return answer;
        },
      });
      try {
        const policy = await createPolicy(`openai:${MODEL}@${server.baseURL}`, {
          env: {},
          settings: { maxTokens: 1024 },
        });
        assert.equal(policy.info.contextWindow?.tokens, 32768, 'asked of /v1/models');
        const summary = await runRollout({
          task,
          policy,
          policySpec: `openai:${MODEL}@${server.baseURL}`,
          toolbox: createDefaultToolbox(),
          protocol: { reward: 'binary' },
          outDir,
          config: { maxTurns: 60, compaction: strategy },
          evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
          createSandbox: (spec) => DockerSandbox.create(spec),
        });
        assert.equal(summary.exitStatus, 'submitted', summary.reason);
        assert.ok(summary.turns > 40, `${summary.turns} turns`);

        const { trajectory } = await readTrajectoryLog(summary.path);
        assert.ok(trajectory);
        const reads = trajectory.turns.slice(1, -1).map((turn) => turn.observations[0]?.output.length ?? 0);
        assert.ok(
          reads.every((length) => length >= 15_000),
          `16 000-character observations: ${Math.min(...reads)} at least`,
        );
        const compactions = trajectory.events.filter((event) => event.kind === 'compaction');
        assert.ok(compactions.length >= 5, `${compactions.length} compactions`);
        for (const event of compactions) {
          const data = event.data!;
          assert.equal(data.strategy, strategy);
          assert.ok(
            (data.estimated_tokens_after as number) < (data.estimated_tokens_before as number),
            JSON.stringify(data).slice(0, 300),
          );
          if (strategy === 'summarize') assert.match(String(data.summary ?? ''), /^Summary: read \d+ chunks/);
        }
        // The run's totals are what the server was asked for: every turn and every summary it wrote.
        const summaries = server.completionRequests.length - trajectory.turns.length;
        assert.equal(summaries > 0, strategy === 'summarize');
        const turnTokens = trajectory.turns.reduce((sum, turn) => sum + (turn.tokens?.input ?? 0), 0);
        const summaryTokens = compactions.reduce(
          (sum, event) => sum + ((event.data?.usage as { tokens_in?: number } | undefined)?.tokens_in ?? 0),
          0,
        );
        assert.equal(compactions.filter((event) => event.data?.usage).length, summaries);
        assert.equal(trajectory.result?.totals?.tokens_in, turnTokens + summaryTokens);
        assert.ok(
          trajectory.turns.every((turn) => turn.extra?.context_overflows === undefined),
          'the window asked of the server was right: no request was refused',
        );
        const setup = trajectory.run.extra?.model_setup as { context_window?: { tokens: number; source: string } };
        assert.deepEqual(setup.context_window, { tokens: 32768, source: 'vLLM /v1/models max_model_len' });

        // Each request the server received is what the record rebuilds, as the RL export rebuilds it.
        const agentRequests = server.completionRequests.filter((request) => request.body?.tools);
        const messages = conversation(trajectory);
        let recorded = 0;
        trajectory.turns.forEach((turn, index) => {
          // The request of a turn is the conversation up to its reply: after the opening, or after the last turn.
          const upTo = messages.slice(0, index === 0 ? 2 : recorded);
          recorded += turn.messages.length;
          const rebuilt = requestOfTurn(trajectory.events, index, upTo, `turn ${index}`);
          const sent = agentRequests[index].body!.messages as { role: string; content: string | null }[];
          assert.deepEqual(
            sent.map((message) => [message.role, message.content]),
            rebuilt.map((message) => [message.role, message.content]),
            `turn ${index}`,
          );
        });
      } finally {
        await server.close();
      }
    });
  }
});
