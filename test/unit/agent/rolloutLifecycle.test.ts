/**
 * The rollout lifecycle (rollout.ts) around a SWE protocol run: how a run is closed when something fails after,
 * beside or outside the agent loop. A scripted policy and an in-memory sandbox stand in for the model and the
 * container; an empty patch is graded without a sandbox, so no test here needs the engine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import type { Policy } from '../../../src/core/agent/policies/policy';
import { ResponsesPolicy } from '../../../src/core/agent/policies/responsesPolicy';
import type { ProtocolName } from '../../../src/core/agent/protocols/protocol';
import { runRollout, type RolloutOptions } from '../../../src/core/agent/rollout';
import { exportDataset } from '../../../src/core/export/exporter';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { BrokenRepositoryError, type Sandbox } from '../../../src/core/sandbox/sandbox';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { sampleRun } from '../trajectory/sampleTrajectory';
import type { ChatMessage, Turn } from '../../../src/core/trajectory/types';
import { cabTaskOn, smolagentsRow } from '../../support/cabTasks';
import { DeepSeekServer } from '../../support/deepSeekServer';
import { fakeSandbox } from '../../support/fakeSandbox';
import { GeminiServer, googleExtension, thoughtSignature } from '../../support/geminiServer';
import { GroqServer } from '../../support/groqServer';
import { OpenRouterServer, reasoningDetails } from '../../support/openRouterServer';
import { ScriptedResponsesServer } from '../../support/scriptedResponsesServer';
import type { ScriptedOpenAIServer } from '../../support/scriptedOpenAIServer';
import { scripted, type Answer } from '../../support/scriptedPolicy';
import { step } from '../../support/scriptedServer';

const OPENING = [
  { role: 'system' as const, content: 'You fix bugs.' },
  { role: 'user' as const, content: 'Fix it.' },
];

/** The log of a run stopped (killed) after `turns` and `events`, before its last line: what `--resume` continues. */
async function stoppedRun(
  outDir: string,
  protocol: ProtocolName,
  turns: Array<Pick<Turn, 'messages' | 'observations' | 'signals' | 'extra' | 'diff'>>,
  events: Array<{ kind: string; data: Record<string, unknown> }> = [],
): Promise<string> {
  const runId = 'stopped';
  const recorder = await TrajectoryRecorder.start(outDir, {
    ...sampleRun(runId, 'pagekit__pagekit-14'),
    extra: { protocol: { name: protocol } },
  });
  for (const turn of turns) await recorder.recordTurn({ diff: '', ...turn });
  for (const event of events) await recorder.recordEvent(event.kind, event.data);
  await recorder.close();
  return runId;
}

const TASK = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples', 'pagekit__pagekit-14');

const NOT_A_REPOSITORY = "git cannot diff the work tree's repository (exit 128): fatal: not a git repository";

/** A container stand-in whose repository `rm -rf .git` breaks: git then takes no patch of its work tree. */
function breakableSandbox(): Sandbox {
  let broken = false;
  return fakeSandbox({
    async exec(command) {
      broken ||= command.includes('rm -rf .git');
      return { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
    },
    diff: async () => {
      if (broken) throw new BrokenRepositoryError(NOT_A_REPOSITORY);
      return '';
    },
  });
}

const toolCall = (id: string, name: string, args: object) => ({
  id,
  type: 'function' as const,
  function: { name, arguments: JSON.stringify(args) },
});
const submit: Answer = {
  message: { role: 'assistant', content: null, tool_calls: [toolCall('c1', 'submit', { summary: 'done' })] },
};
const removeGit: Answer = {
  message: { role: 'assistant', content: null, tool_calls: [toolCall('c0', 'bash', { command: 'rm -rf .git' })] },
};

const pytest = toolCall('c0', 'bash', { command: 'pytest' });

describe('rollout lifecycle: closing a run whatever fails around the agent loop', () => {
  let task: Task;

  before(async () => {
    task = (await loadTasksStrict(TASK))[0];
  });

  function rollout(policy: Policy, overrides: Partial<RolloutOptions> = {}, sandbox = fakeSandbox()) {
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

  /**
   * What a stopped run sends `server` when it is resumed: its one recorded turn is `reply`, which ran pytest (call
   * `c0`), and the result; `server` then submits.
   */
  async function resumedRequest(
    reply: ChatMessage,
    server: ScriptedOpenAIServer,
    model: string,
    extra?: Turn['extra'],
  ) {
    try {
      const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
      const runId = await stoppedRun(outDir, 'swe', [
        {
          messages: [...OPENING, reply, { role: 'tool', tool_call_id: 'c0', content: '1 passed' }],
          observations: [{ tool_call_id: 'c0', tool: 'bash', output: '1 passed', truncated: false }],
          extra,
        },
      ]);
      const policy = new OpenAIPolicy({ model, baseURL: server.baseURL, apiKey: 'sk-test' });
      const summary = await rollout(policy, { outDir, runId, resume: true });
      assert.equal(summary.exitStatus, 'submitted', summary.reason);
      return server.completionRequests[0].body!.messages as ChatMessage[];
    } finally {
      await server.close();
    }
  }

  test('a graded run keeps its score when removing its container fails afterwards (the reaper removes it)', async () => {
    const engineDropped = fakeSandbox({
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

  test('a round whose test log could not be graded ends the feedback rounds unscored: no feedback claims that tests fail', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
    const submitted = submit as { message: Turn['messages'][number] };
    const runId = await stoppedRun(
      outDir,
      'swe-feedback',
      [
        {
          messages: [...OPENING, submitted.message, { role: 'tool', tool_call_id: 'c1', content: 'Submitted.' }],
          observations: [{ tool_call_id: 'c1', tool: 'submit', output: 'Submitted.', truncated: false }],
        },
      ],
      [
        {
          kind: 'round_scored',
          data: {
            round: 1,
            reward: null,
            resolved: null,
            evaluation_status: 'error',
            explanation: 'the log could not be graded: not scored',
            error: "the harness's Django parser fails on the line 'x'",
            agent_exit: 'submitted',
            log_tail: '',
          },
        },
      ],
    );
    const policy = scripted([submit]);
    const summary = await rollout(policy, {
      outDir,
      runId,
      resume: true,
      protocol: { reward: 'binary', feedback: { rounds: 1, source: 'tests' } },
    });
    assert.equal(policy.requests.length, 0, 'no second round');
    assert.equal(summary.reward, null, 'unscored, never a failure');
    assert.deepEqual(summary.rounds, [{ round: 1, reward: null, resolved: null }]);
    const { trajectory } = await readTrajectoryLog(summary.path);
    assert.deepEqual(
      trajectory?.events.filter((event) => event.kind === 'feedback'),
      [],
    );
  });

  test('a run stopped after the third reply in a row without a tool call ends on resume, without a fourth', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
    const unusable = (index: number) => ({
      messages: [
        ...(index === 0 ? OPENING : []),
        { role: 'assistant' as const, content: 'Let me think.' },
        { role: 'user' as const, content: '[harness] Your reply had no tool call.' },
      ],
      observations: [{ tool_call_id: null, tool: '(none)', output: '[harness] …', truncated: false, is_error: true }],
      signals: { format_errors: 1, tool_errors: 0, diff_changed: 0 },
    });
    const runId = await stoppedRun(outDir, 'swe', [unusable(0), unusable(1), unusable(2)]);
    const policy = scripted([submit]);
    const summary = await rollout(policy, { outDir, runId, resume: true });
    assert.equal(policy.requests.length, 0, 'the agent gets no fourth reply');
    assert.equal(summary.exitStatus, 'error');
    assert.match(summary.reason ?? '', /3 replies in a row without a usable tool call/);
    assert.equal(summary.turns, 3);
  });

  test('Groq wire: a resumed run sends its first request around the refusals its record shows, not refused again', async () => {
    const server = await GroqServer.start([step.toolCall('submit', { summary: 'done' })]);
    const sent = await resumedRequest(
      {
        role: 'assistant',
        content: null,
        tool_calls: [pytest],
        extra: { reasoning_sent_back: { field: 'reasoning', text: 'Run the tests first.' } },
      },
      server,
      'deepseek-r1-distill-llama-70b',
      { workarounds: ['reasoning-field-refused'] },
    );
    assert.equal(server.completionRequests.length, 1, 'one request, not a refused one asked again');
    assert.ok(!('reasoning' in sent[2]), 'the recorded reply went back without its reasoning');
  });

  test('Groq wire: a run sharing its policy (a batch) records the refusal an earlier run met, so its RL prompts are the requests it sent', async () => {
    const server = await GroqServer.start(
      [0, 1].flatMap(() => [
        step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
        step.toolCall('submit', { summary: 'done' }, { reasoning: 'All pass.' }),
      ]),
    );
    try {
      const policy = new OpenAIPolicy({ model: 'deepseek-r1-distill-llama-70b', baseURL: server.baseURL, apiKey: 'k' });
      await rollout(policy);
      const refusals = server.completionRequests.length - 2;
      assert.equal(refusals, 1, 'the first run was refused once, at its second request');
      const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
      await rollout(policy, { outDir });
      assert.equal(server.completionRequests.length, 5, 'the second run was not refused');
      const exported = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-rl-'));
      await exportDataset({ runs: [outDir], format: 'rl', out: exported, command: 'rollout export --format rl' });
      const rows = readFileSync(join(exported, 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { turn_index: number; prompt: unknown[] });
      const sent = server.completionRequests.at(-1)!.body!.messages;
      assert.ok(!JSON.stringify(sent).includes('Run the tests first.'), 'sent without reasoning');
      const prompt = rows.find((row) => row.turn_index === 1)!.prompt;
      assert.ok(!JSON.stringify(prompt).includes('Run the tests first.'), 'exported as sent');
    } finally {
      await server.close();
    }
  });

  test('DeepSeek thinking-mode wire: a resumed run sends back the reasoning_content kept on its recorded replies', async () => {
    const sent = await resumedRequest(
      {
        role: 'assistant',
        content: null,
        tool_calls: [pytest],
        extra: { reasoning_sent_back: { field: 'reasoning_content', text: 'Run the tests first.' } },
      },
      await DeepSeekServer.start([step.toolCall('submit', { summary: 'done' })]),
      'deepseek-v4-pro',
    );
    assert.equal((sent[2] as { reasoning_content?: string }).reasoning_content, 'Run the tests first.');
  });

  test('Gemini 3 wire: a resumed run sends back the thought signature kept on its recorded calls', async () => {
    const signature = googleExtension(thoughtSignature('bash', pytest.function.arguments));
    const sent = await resumedRequest(
      { role: 'assistant', content: null, tool_calls: [{ ...pytest, extra_content: signature }] },
      await GeminiServer.start([step.toolCall('submit', { summary: 'done' })]),
      'gemini-3-flash-preview',
    );
    assert.deepEqual(sent[2].tool_calls?.[0].extra_content, signature);
  });

  test('OpenRouter wire: a resumed run sends back the reasoning_details kept on its recorded replies, unmodified', async () => {
    const details = reasoningDetails('Run the tests first.');
    const sent = await resumedRequest(
      {
        role: 'assistant',
        content: null,
        tool_calls: [pytest],
        extra: {
          reasoning_sent_back: { field: 'reasoning', text: 'Run the tests first.' },
          reasoning_details: details,
        },
      },
      await OpenRouterServer.start([step.toolCall('submit', { summary: 'done' })]),
      'anthropic/claude-sonnet-4.5',
    );
    assert.equal(
      JSON.stringify((sent[2] as { reasoning_details?: unknown }).reasoning_details),
      JSON.stringify(details),
    );
  });

  test("OpenAI Responses wire: a run's encrypted reasoning is recorded and goes back unaltered, in the run and on resume", async () => {
    const server = await ScriptedResponsesServer.start(
      [
        step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
        step.toolCall('submit', { summary: 'done' }, { reasoning: 'They pass; submit.' }),
        step.toolCall('submit', { summary: 'done' }),
      ],
      { reasoningModel: true, model: 'gpt-5-codex' },
    );
    try {
      const policy = new ResponsesPolicy({ model: 'gpt-5-codex', baseURL: server.baseURL, apiKey: 'sk-test' });
      const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
      const summary = await rollout(policy, { outDir });
      assert.equal(summary.exitStatus, 'submitted', summary.reason);
      const { trajectory } = await readTrajectoryLog(summary.path);
      assert.ok(trajectory);
      const [reply] = trajectory.turns[0].messages.filter((message) => message.role === 'assistant');
      const [item] = (reply.extra?.reasoning_items ?? []) as Record<string, unknown>[];
      assert.equal(
        item.encrypted_content,
        ScriptedResponsesServer.encryptedContent(String(item.id), 'Run the tests first.'),
      );
      assert.equal(trajectory.turns[0].reasoning, undefined, 'no summary was asked for, so none is recorded');
      // The recorded turn, resumed by a later process, goes back as it was sent (the server verifies it).
      const stoppedId = await stoppedRun(outDir, 'swe', [{ ...trajectory.turns[0], extra: undefined }]);
      const resumed = await rollout(policy, { outDir, runId: stoppedId, resume: true });
      assert.equal(resumed.exitStatus, 'submitted', resumed.reason);
      const sent = server.responseRequests.at(-1)!.body!.input as Record<string, unknown>[];
      assert.deepEqual(
        sent.find((entry) => entry.type === 'reasoning'),
        item,
      );
    } finally {
      await server.close();
    }
  });

  test('an agent that breaks its repository fails: its turn is recorded, the run graded as a patch that cannot apply, never infra_error', async () => {
    const policy = scripted([removeGit, submit]);
    const summary = await rollout(policy, {}, breakableSandbox());
    assert.equal(policy.requests.length, 1, 'the run ends with the turn that broke it');
    assert.equal(summary.exitStatus, 'error');
    assert.equal(summary.reason, `the agent broke the repository, so no patch can be taken: ${NOT_A_REPOSITORY}`);
    assert.equal(summary.resolved, false);
    assert.equal(summary.reward, 0);
    const { trajectory } = await readTrajectoryLog(summary.path);
    const [turn] = trajectory?.turns ?? [];
    assert.equal(trajectory?.turns.length, 1);
    assert.equal(turn.observations[0].tool, 'bash');
    assert.equal(turn.extra?.repository_broken, NOT_A_REPOSITORY);
    assert.equal(turn.diff, undefined, 'git gave no patch');
    const scored = trajectory?.events.find((event) => event.kind === 'round_scored');
    assert.equal(scored?.data?.evaluation_status, 'patch-failed');
    assert.match(String(scored?.data?.error), /no patch can be taken from the work tree: git cannot diff/);
    assert.equal(trajectory?.result?.exit_status, 'error');
    assert.equal(trajectory?.result?.patch, '');
  });

  test('a run stopped after the turn that broke its repository (even one that also submitted) resumes to the same end', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-lifecycle-'));
    const calls = [toolCall('c0', 'bash', { command: 'rm -rf .git' }), toolCall('c1', 'submit', { summary: 'done' })];
    const runId = await stoppedRun(outDir, 'swe', [
      {
        messages: [
          ...OPENING,
          { role: 'assistant', content: null, tool_calls: calls },
          { role: 'tool', tool_call_id: 'c0', content: '' },
          { role: 'tool', tool_call_id: 'c1', content: 'Submitted.' },
        ],
        observations: [
          { tool_call_id: 'c0', tool: 'bash', output: '', truncated: false },
          { tool_call_id: 'c1', tool: 'submit', output: 'Submitted.', truncated: false },
        ],
        diff: undefined,
        extra: { repository_broken: NOT_A_REPOSITORY },
      },
    ]);
    // The restored work tree is a clean checkout, whose diff git would take.
    const policy = scripted([submit]);
    const summary = await rollout(policy, { outDir, runId, resume: true }, fakeSandbox());
    assert.equal(policy.requests.length, 0);
    assert.equal(summary.exitStatus, 'error');
    assert.match(summary.reason ?? '', /the agent broke the repository/);
    assert.equal(summary.reward, 0);
    const { trajectory } = await readTrajectoryLog(summary.path);
    const scored = trajectory?.events.find((event) => event.kind === 'round_scored');
    assert.equal(scored?.data?.evaluation_status, 'patch-failed', 'not graded as the clean checkout');
    assert.equal(scored?.data?.agent_exit, 'error');
  });

  test('in a CodeAssistBench conversation an agent that breaks its repository is not judged and earns 0, never infra_error', async () => {
    const cabTask = cabTaskOn(smolagentsRow(), { location: '/nowhere', commit: 'base' });
    const judge = scripted([{ message: { role: 'assistant', content: 'VERDICT: CORRECT' } }]);
    const summary = await rollout(
      scripted([removeGit]),
      {
        task: cabTask,
        protocol: { reward: 'binary', cab: { userPolicySpec: 'user', judgePolicySpec: 'judge', userRounds: 2 } },
        createPolicy: async () => judge,
      },
      breakableSandbox(),
    );
    assert.equal(judge.requests.length, 0, 'neither the user nor the judge is asked');
    assert.equal(summary.exitStatus, 'error');
    assert.match(summary.reason ?? '', /the agent broke the repository/);
    assert.equal(summary.reward, 0);
    assert.equal(summary.resolved, false);
  });
});
