/**
 * The agent loop's handling of what a model server sends back — cut-off, empty and text-written replies,
 * "too long" refusals, reasoning and server facts — with a scripted policy and an in-memory sandbox, and the
 * real recorder writing a real trajectory log.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunBudget } from '../../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from '../../../src/core/agent/config';
import { LIVE_TURN_FILE, readLiveTurn } from '../../../src/core/agent/liveTurn';
import { runAgent, type AgentRunOutcome } from '../../../src/core/agent/loop';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import {
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
} from '../../../src/core/agent/policies/policy';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import type { ExecOptions, ExecResult, Sandbox } from '../../../src/core/sandbox/sandbox';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { DeepSeekServer } from '../../support/deepSeekServer';
import { fakeSandbox } from '../../support/fakeSandbox';
import { GeminiServer, googleExtension, thoughtSignature } from '../../support/geminiServer';
import { scripted, type Answer } from '../../support/scriptedPolicy';
import { step } from '../../support/scriptedServer';
import { VllmServer } from '../../support/vllmServer';

/** A sandbox whose commands echo what they ran (streaming it to `onOutput`) and whose tree never changes. */
function echoSandbox(): Sandbox & { commands: string[] } {
  const commands: string[] = [];
  const exec = async (command: string, options: ExecOptions = {}): Promise<ExecResult> => {
    commands.push(command);
    options.onOutput?.('stdout', `ran: ${command}\n`);
    return { exitCode: 0, stdout: `ran: ${command}\n`, stderr: '', truncated: false, timedOut: false, durationMs: 1 };
  };
  return { ...fakeSandbox({ exec }), commands };
}

const call = (name: string, args: object, id = `call_${name}`) => ({
  id,
  type: 'function' as const,
  function: { name, arguments: JSON.stringify(args) },
});
const submit = {
  message: { role: 'assistant' as const, content: null, tool_calls: [call('submit', { summary: 'done' })] },
};

/** The run id every run of this file records under: its folder is `<outDir>/<RUN_ID>`. */
const RUN_ID = 'r1';

interface RunOptions {
  answerEndsRun?: boolean;
  /** Given by a test that reads the run before it ends, so that it reads this run and not another test run's. */
  outDir?: string;
}

async function run(policy: Policy, config: Partial<AgentConfig> = {}, options: RunOptions = {}) {
  const { answerEndsRun = false, outDir = mkdtempSync(join(tmpdir(), 'loop-replies-')) } = options;
  const sandbox = echoSandbox();
  const recorder = await TrajectoryRecorder.start(outDir, {
    run_id: RUN_ID,
    task_id: 't1',
    attempt: 0,
    policy: 'openai:scripted',
    model: { name: 'scripted', parameters: {} },
    tools: [],
    tool_versions: {},
    started_at: new Date().toISOString(),
  });
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'Fix it.' },
  ];
  const outcome: AgentRunOutcome = await runAgent({
    policy,
    toolbox: createDefaultToolbox(),
    sandbox,
    recorder,
    config: { ...DEFAULT_AGENT_CONFIG, ...config },
    messages,
    recordedMessages: 0,
    startDiff: '',
    budget: new RunBudget({ ...DEFAULT_AGENT_CONFIG, ...config }),
    answerEndsRun,
  });
  await recorder.finish({ exit_status: outcome.exitStatus, patch: '', reward: null });
  const { trajectory } = await readTrajectoryLog(recorder.path);
  return { outcome, trajectory: trajectory as Trajectory, sandbox, runDir: join(outDir, RUN_ID) };
}

describe('agent loop: a failure of its own machinery', () => {
  test('an exception that is neither the model nor the engine failing (a bug, data of a shape no one read) ends the run infra_error, never scored', async () => {
    const policy = scripted([submit]);
    policy.next = () => Promise.reject(new TypeError('text.trim is not a function'));
    const { outcome } = await run(policy);
    assert.deepEqual(outcome.exitStatus, 'infra_error');
    assert.match(outcome.reason ?? '', /TypeError: text\.trim is not a function/);
  });
});

describe('agent loop: replies as servers send them', () => {
  test('a reply cut off at the output limit runs nothing and tells the model how far it got', async () => {
    const policy = scripted(
      [
        {
          message: {
            role: 'assistant',
            content: 'Writing the file:',
            tool_calls: [call('bash', { command: 'cat > a.py <<EOF' })],
          },
          finishReason: 'length',
          usage: { promptTokens: 100, completionTokens: 512 },
        },
        submit,
      ],
      { maxTokens: 512 },
    );
    const { outcome, trajectory, sandbox } = await run(policy);
    assert.equal(outcome.exitStatus, 'submitted');
    assert.deepEqual(sandbox.commands, [], 'the cut call never ran');
    const [cut] = trajectory.turns;
    const said = replyOf(cut);
    assert.deepEqual(said[0], { role: 'assistant', content: 'Writing the file:' }, 'sent back without the broken call');
    assert.equal(
      said[1].content,
      '[harness] Your reply was cut off: it stopped after 512 tokens, the limit of 512 output tokens per reply, in the middle of a call to `bash`, so nothing in it was run. Make the call again with shorter arguments: write large files in several smaller edits.',
    );
    assert.equal(cut.extra?.finish_reason, 'length');
    assert.deepEqual((cut.extra?.cut_tool_calls as { function: { name: string } }[])[0].function.name, 'bash');
    assert.equal(cut.signals?.format_errors, 1);
    assert.deepEqual(policy.requests[1].messages.at(-1), said[1]);
  });

  test("a reply stopped by the server's content filter or a refusal runs nothing, like one cut off at the limit", async () => {
    const filtered = (finishReason: string) => ({
      message: {
        role: 'assistant' as const,
        content: 'Cleaning up:',
        tool_calls: [call('bash', { command: 'rm -r' })],
      },
      finishReason,
    });
    const { outcome, trajectory, sandbox } = await run(
      scripted([filtered('content_filter'), filtered('refusal'), submit]),
    );
    assert.equal(outcome.exitStatus, 'submitted');
    assert.deepEqual(sandbox.commands, [], 'neither partial call ran');
    for (const turn of trajectory.turns.slice(0, 2)) {
      const [reply, note] = replyOf(turn);
      assert.deepEqual(reply, { role: 'assistant', content: 'Cleaning up:' });
      assert.equal(
        note.content,
        "[harness] Your reply was stopped by the model server's content policy, in the middle of a call to `bash`, so nothing in it was run. Continue the task: call a tool, or `submit` when the fix is done.",
      );
      assert.equal(turn.signals?.format_errors, 1);
    }
  });

  test('an empty reply gets a nudge, and goes back as text, never as content null', async () => {
    const policy = scripted([{ message: { role: 'assistant', content: null } }, submit]);
    const { trajectory } = await run(policy);
    const [reply, nudge] = replyOf(trajectory.turns[0]);
    assert.deepEqual(reply, { role: 'assistant', content: '' });
    assert.match(nudge.content ?? '', /^\[harness\] Your reply was empty\./);
    const sentBack = policy.requests[1].messages.find((message) => message.role === 'assistant');
    assert.equal(sentBack?.content, '');
  });

  test('a call written as text (Hermes <tool_call>, a ```bash block) runs, and the turn says which form it was', async () => {
    const policy = scripted([
      {
        message: {
          role: 'assistant',
          content: 'Look.\n<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>',
        },
      },
      { message: { role: 'assistant', content: 'THOUGHT: test.\n```bash\npytest -q\n```' } },
      submit,
    ]);
    const { trajectory, sandbox } = await run(policy);
    assert.deepEqual(sandbox.commands, ['ls', 'pytest -q']);
    const [hermes, bash] = trajectory.turns;
    assert.equal(hermes.extra?.tool_call_format, 'hermes');
    assert.equal(
      hermes.extra?.raw_content,
      'Look.\n<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>',
    );
    assert.deepEqual(replyOf(hermes)[0], {
      role: 'assistant',
      content: 'Look.',
      tool_calls: [{ id: 'T00000C00', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
    });
    assert.equal(replyOf(hermes)[1].role, 'tool');
    assert.equal(bash.extra?.tool_call_format, 'bash_block');
    assert.equal(trajectory.turns[2].extra?.tool_call_format, 'native');
    assert.equal(hermes.signals?.format_errors, 0);
  });

  test("Qwen3-Coder's call written as text runs with its values typed by the tool's schema; the turn says qwen3_coder", async () => {
    const written =
      '<tool_call>\n<function=bash>\n<parameter=command>\nls -la\n</parameter>\n<parameter=timeout_seconds>\n30\n</parameter>\n</function>\n</tool_call>';
    const { trajectory, sandbox } = await run(scripted([{ message: { role: 'assistant', content: written } }, submit]));
    assert.deepEqual(sandbox.commands, ['ls -la']);
    const [turn] = trajectory.turns;
    assert.equal(turn.extra?.tool_call_format, 'qwen3_coder');
    assert.equal(turn.extra?.raw_content, written);
    assert.equal(replyOf(turn)[0].tool_calls?.[0].function.arguments, '{"command":"ls -la","timeout_seconds":30}');
    assert.equal(turn.signals?.format_errors, 0);
  });

  test('in a conversation with a person, an answer holding a ```bash block is an answer, not a command', async () => {
    const answer = 'Upgrade first:\n```bash\npip install -U smolagents\n```\nthen run it again.';
    const { outcome, trajectory, sandbox } = await run(
      scripted([{ message: { role: 'assistant', content: answer } }]),
      {},
      { answerEndsRun: true },
    );
    assert.equal(outcome.exitStatus, 'submitted');
    assert.deepEqual(sandbox.commands, []);
    assert.deepEqual(replyOf(trajectory.turns[0]), [{ role: 'assistant', content: answer }]);
  });

  test('a "too long" refusal compacts the conversation and asks again within the same turn', async () => {
    const big = (id: string) => call('bash', { command: `cat big_${id}` }, id);
    const answers: Answer[] = [];
    for (let turn = 0; turn < 6; turn++)
      answers.push({ message: { role: 'assistant', content: null, tool_calls: [big(`c${turn}`)] } });
    answers.push(
      new PolicyError("This model's maximum context length is 1500 tokens.", 400, false, {
        limit: 1500,
        promptTokens: 3000,
      }),
    );
    answers.push(submit);
    const policy = scripted(answers);
    const { outcome, trajectory } = await run(policy);
    assert.equal(outcome.exitStatus, 'submitted');
    assert.equal(trajectory.turns.at(-1)?.extra?.context_overflows, 1);
    const compaction = trajectory.events.find((event) => event.kind === 'compaction');
    assert.equal(compaction?.data?.reason, 'overflow');
    assert.ok(policy.requests.at(-1)!.messages.length < policy.requests.at(-2)!.messages.length, 'the retry sent less');
  });

  test('a server\'s prompt token ids are kept on the turn: those of the request it answered, the compacted one after a "too long" refusal', async () => {
    // A stand-in tokenizer: one id per message, the length of its text.
    const idsOf = (messages: ChatMessage[]) => messages.map((message) => (message.content ?? '').length);
    const withIds =
      (message: AssistantMessage): Answer =>
      async (request) => ({ message, tokenIds: { prompt: idsOf(request.messages), completion: [1] } });
    const answers: Answer[] = [0, 1, 2, 3, 4, 5].map((turn) =>
      withIds({
        role: 'assistant',
        content: null,
        tool_calls: [call('bash', { command: `cat big_${turn}` }, `c${turn}`)],
      }),
    );
    answers.push(
      new PolicyError("This model's maximum context length is 1500 tokens.", 400, false, {
        limit: 1500,
        promptTokens: 3000,
      }),
    );
    answers.push(withIds(submit.message));
    const policy = scripted(answers);
    const { trajectory } = await run(policy);
    const answered = policy.requests.filter((_, i) => i !== 6);
    assert.deepEqual(
      trajectory.turns.map((turn) => turn.prompt_token_ids),
      answered.map((request) => idsOf(request.messages)),
    );
    assert.ok(
      trajectory.turns[6].prompt_token_ids!.length < policy.requests[6].messages.length,
      'the compacted request, not the refused one',
    );
  });

  test('a conversation the server keeps refusing as too long ends as token_limit after the retries', async () => {
    const tooLong = () =>
      new PolicyError('prompt is too long: 9000 tokens > 8000 maximum', 400, false, {
        limit: 8000,
        promptTokens: 9000,
      });
    const { outcome } = await run(scripted([tooLong(), tooLong(), tooLong(), tooLong()]));
    assert.equal(outcome.exitStatus, 'token_limit');
    assert.match(outcome.reason ?? '', /prompt is too long/);
  });

  test("the server's model id, fingerprint, reasoning and cached tokens are kept on the turn", async () => {
    const { trajectory } = await run(
      scripted([
        {
          ...submit,
          model: 'gpt-4o-2024-08-06',
          systemFingerprint: 'fp_abc',
          reasoning: 'Check the tests.',
          usage: { promptTokens: 2048, completionTokens: 30, cachedPromptTokens: 1920, reasoningTokens: 12 },
          finishReason: 'tool_calls',
        },
      ]),
    );
    const [turn] = trajectory.turns;
    assert.deepEqual(
      [turn.model, turn.system_fingerprint, turn.reasoning, turn.tokens],
      [
        'gpt-4o-2024-08-06',
        'fp_abc',
        'Check the tests.',
        { input: 2048, output: 30, cached_input: 1920, reasoning: 12 },
      ],
    );
    assert.deepEqual(turn.extra, { finish_reason: 'tool_calls', tool_call_format: 'native' });
  });

  test("DeepSeek thinking-mode wire: a tool-calling run through OpenAIPolicy sends each reply's reasoning_content back and records it on the reply", async () => {
    const server = await DeepSeekServer.start([
      step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
      step.toolCall('bash', { command: 'cat calc.py' }),
      step.toolCall('submit', { summary: 'done' }, { reasoning: 'Nothing to fix.' }),
    ]);
    try {
      const policy = new OpenAIPolicy({ model: 'deepseek-v4-pro', baseURL: server.baseURL, apiKey: 'sk-test' });
      const { outcome, trajectory } = await run(policy);
      assert.equal(outcome.exitStatus, 'submitted', outcome.reason);
      assert.deepEqual(
        trajectory.turns.map((turn) => turn.reasoning),
        ['Run the tests first.', undefined, 'Nothing to fix.'],
      );
      assert.deepEqual(
        trajectory.turns.map((turn) => replyOf(turn)[0].extra),
        ['Run the tests first.', '', 'Nothing to fix.'].map((text) => ({
          reasoning_sent_back: { field: 'reasoning_content', text },
        })),
      );
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.deepEqual(
        sent.flatMap((message) => (message.role === 'assistant' ? [message.reasoning_content] : [])),
        ['Run the tests first.', ''],
      );
    } finally {
      await server.close();
    }
  });

  test("vLLM without --reasoning-parser wire: a Qwen3-Coder call written after the model's reasoning runs, one in the reasoning does not, and the turn records the reasoning apart", async () => {
    const call = (command: string) =>
      `<tool_call>\n<function=bash>\n<parameter=command>\n${command}\n</parameter>\n</function>\n</tool_call>`;
    const server = await VllmServer.start(
      [
        step.text(call('pytest'), { reasoning: `I could run ${call('rm -rf tests')} but the tests tell more.` }),
        step.toolCall('submit', { summary: 'done' }),
      ],
      { reasoningParser: false },
    );
    try {
      const policy = new OpenAIPolicy({ model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct', baseURL: server.baseURL });
      const { outcome, trajectory, sandbox } = await run(policy);
      assert.equal(outcome.exitStatus, 'submitted', outcome.reason);
      assert.deepEqual(sandbox.commands, ['pytest']);
      const [turn] = trajectory.turns;
      assert.equal(turn.reasoning, `\nI could run ${call('rm -rf tests')} but the tests tell more.\n`);
      assert.equal(turn.extra?.tool_call_format, 'qwen3_coder');
      assert.ok(!String(replyOf(turn)[0].content ?? '').includes('<think>'), 'the reply text holds no reasoning');
      const sent = server.completionRequests[1].body!.messages as { role: string; content: string }[];
      assert.ok(sent.find((message) => message.role === 'assistant')!.content.startsWith('<think>\nI could run'));
    } finally {
      await server.close();
    }
  });

  const familiesWritingCalls: [family: string, model: string, call: string, format: string][] = [
    [
      'GLM-4.5',
      'zai-org/GLM-4.5-Air',
      '<tool_call>bash\n<arg_key>command</arg_key>\n<arg_value>pytest -q</arg_value>\n</tool_call>',
      'glm45',
    ],
    [
      'MiniMax-M2',
      'MiniMaxAI/MiniMax-M2',
      '<minimax:tool_call>\n<invoke name="bash">\n<parameter name="command">pytest -q</parameter>\n</invoke>\n</minimax:tool_call>',
      'minimax_m2',
    ],
  ];
  for (const [family, model, call, format] of familiesWritingCalls)
    test(`vLLM without a reasoning parser or ${format}'s tool parser wire: ${family}'s call written after its reasoning runs, the turn says ${format}, and the reply goes back with its reasoning`, async () => {
      const server = await VllmServer.start(
        [step.text(call, { reasoning: 'Run the tests first.' }), step.toolCall('submit', { summary: 'done' })],
        { reasoningParser: false },
      );
      try {
        const { outcome, trajectory, sandbox } = await run(new OpenAIPolicy({ model, baseURL: server.baseURL }));
        assert.equal(outcome.exitStatus, 'submitted', outcome.reason);
        assert.deepEqual(sandbox.commands, ['pytest -q']);
        const [turn] = trajectory.turns;
        assert.deepEqual([turn.reasoning, turn.extra?.tool_call_format], ['\nRun the tests first.\n', format]);
        const sent = server.completionRequests[1].body!.messages as { role: string; content: string }[];
        const reply = sent.find((message) => message.role === 'assistant')!;
        assert.equal(reply.content, '<think>\nRun the tests first.\n</think>', 'its calls sent as calls');
      } finally {
        await server.close();
      }
    });

  test("Gemini 3 wire: a tool-calling run through OpenAIPolicy records each call's thought signature on it, as it came, and sends it back", async () => {
    const server = await GeminiServer.start([
      step.toolCall('bash', { command: 'pytest' }),
      step.toolCall('bash', { command: 'cat calc.py' }),
      step.toolCall('submit', { summary: 'done' }),
    ]);
    try {
      const policy = new OpenAIPolicy({ model: 'gemini-3-flash-preview', baseURL: server.baseURL, apiKey: 'sk-test' });
      const { outcome, trajectory } = await run(policy);
      assert.equal(outcome.exitStatus, 'submitted', outcome.reason);
      const signed = (name: string, args: Record<string, unknown>) =>
        googleExtension(thoughtSignature(name, JSON.stringify(args)));
      assert.deepEqual(
        trajectory.turns.map((turn) => replyOf(turn)[0].tool_calls?.[0].extra_content),
        [
          signed('bash', { command: 'pytest' }),
          signed('bash', { command: 'cat calc.py' }),
          signed('submit', { summary: 'done' }),
        ],
      );
    } finally {
      await server.close();
    }
  });

  test('the turn in progress is in live-turn.json while the model writes, and gone once the turn is recorded', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const policy = scripted([
      async (request) => {
        request.onDelta?.({ kind: 'content', text: 'Let me look ' });
        request.onDelta?.({ kind: 'tool_call', index: 0, id: 'c1', name: 'bash', arguments: '{"command":' });
        await held;
        return {
          message: { role: 'assistant', content: 'Let me look ', tool_calls: [call('bash', { command: 'ls' }, 'c1')] },
        };
      },
      submit,
    ]);
    const outDir = mkdtempSync(join(tmpdir(), 'loop-replies-'));
    const runDir = join(outDir, RUN_ID);
    const done = run(policy, {}, { outDir });
    const live = await waitFor(async () => {
      const written = await readLiveTurn(runDir, 0);
      return written?.content === 'Let me look ' ? written : undefined;
    });
    release();
    const { trajectory } = await done;
    assert.equal(live.tool_calls[0]?.name, 'bash');
    assert.equal(trajectory.turns.length, 2);
    assert.ok(!existsSync(join(runDir, LIVE_TURN_FILE)), 'removed after the turn');
    assert.equal(await readLiveTurn(runDir, 0), undefined);
  });
});

/** The messages a turn added after the opening (turn 0 also holds the system prompt and the task). */
function replyOf(turn: Trajectory['turns'][number]) {
  return turn.index === 0 ? turn.messages.slice(2) : turn.messages;
}

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('timed out waiting for the live turn');
}
