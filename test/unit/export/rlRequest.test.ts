import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RunBudget } from '../../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import { ContextManager } from '../../../src/core/agent/context/contextManager';
import { fromAnthropicMessage } from '../../../src/core/agent/policies/anthropicPolicy';
import { ASSISTANT_BETWEEN_TOOL_AND_USER, NO_RESPONSE } from '../../../src/core/agent/policies/requestAsSent';
import { exportDataset } from '../../../src/core/export/exporter';
import { exportMessage, type ExportMessage } from '../../../src/core/export/messages';
import { toSweAgentTraj } from '../../../src/core/export/sweAgentTraj';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder, type TurnInput } from '../../../src/core/trajectory/recorder';
import { describeRequest, rebuildRequest } from '../../../src/core/trajectory/request';
import type { ChatMessage as PolicyMessage } from '../../../src/core/agent/policies/policy';
import type { ChatMessage } from '../../../src/core/trajectory/types';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';
import { assertValid } from './fixtures';

describe('the request a model call was sent', () => {
  test('is recorded as ranges of the conversation plus the messages that are not in it, and rebuilt exactly', () => {
    const conversation: ChatMessage[] = [0, 1, 2, 3].flatMap((index) => sampleTurn(index).messages);
    assert.equal(describeRequest(conversation, conversation), null, 'the whole conversation needs no record');
    const note: ChatMessage = { role: 'user', content: '[2 earlier turns were removed]' };
    const sent = [...conversation.slice(0, 2), note, ...conversation.slice(6)];
    const parts = describeRequest(conversation, sent);
    assert.deepEqual(parts, [{ messages: [0, 2] }, { message: note }, { messages: [6, 10] }]);
    assert.deepEqual(rebuildRequest(parts!, conversation, 'x'), sent);
    assert.throws(
      () => rebuildRequest([{ messages: [0, 11] }], conversation, 'run.jsonl: turn 4'),
      /turn 4: request range \[0, 11\) is outside the 10 messages/,
    );
  });

  test("the RL export's prompt and the .traj step's query for each turn are the request it was sent, compacted or not", async () => {
    const out = mkdtempSync(join(tmpdir(), 'rl-request-'));
    const recorder = await TrajectoryRecorder.start(out, sampleRun('compacted', 'task-c'));
    // The loop's conversation, in the policy's message types (recorded turns use the trajectory's).
    const history: PolicyMessage[] = [];
    const prompts: PolicyMessage[][] = [];
    // The agent loop's own compaction, with a window small enough that it drops turns from turn 3 on.
    const context = new ContextManager({
      policy: {
        info: { backend: 'openai', model: 'm', parameters: {}, contextWindow: { tokens: 2500, source: 'test' } },
        next: async () => assert.fail('no summary calls with the sliding window'),
      },
      strategy: 'sliding-window',
      tools: [],
      fallbackWindow: 2500,
      recordEvent: (kind, data) => recorder.recordEvent(kind, data),
      budget: new RunBudget(DEFAULT_AGENT_CONFIG),
    });
    for (let index = 0; index < 7; index += 1) {
      const turn = sampleTurn(index, { output: `${'x'.repeat(2000)} ${index}` });
      const assistantAt = turn.messages.findIndex((message) => message.role === 'assistant');
      history.push(...(turn.messages.slice(0, assistantAt) as PolicyMessage[]));
      prompts.push((await context.request(history)).messages);
      await recorder.recordTurn(turn);
      history.push(...(turn.messages.slice(assistantAt) as PolicyMessage[]));
    }
    assert.ok(prompts[6].length < history.length, 'later turns were compacted');
    await recorder.finish(sampleResult(1));
    const log = readFileSync(recorder.path, 'utf8');
    const events = log.split('\n').filter((line) => line.includes('"type":"event"'));
    assert.ok(events.length >= 1 && events.length < 7, `${events.length} compactions, not one per turn`);
    for (const event of events)
      assert.ok(
        event.length < 800 && !event.includes('x'.repeat(100)),
        'the record names ranges; it does not repeat the history',
      );

    const exported = mkdtempSync(join(tmpdir(), 'rl-request-out-'));
    await exportDataset({ runs: [out], format: 'rl', out: exported, command: 'rollout export --format rl' });
    const rows = readFileSync(join(exported, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { turn_index: number; prompt: unknown[] });
    for (const [index, prompt] of prompts.entries())
      assert.deepEqual(
        rows.find((row) => row.turn_index === index)?.prompt,
        (prompt as ChatMessage[]).map((message) => exportMessage(message)),
        `turn ${index}`,
      );
    assert.equal(
      rows.find((row) => row.turn_index === 0)?.prompt.length,
      2,
      'an uncompacted turn gets the whole history',
    );

    const traj = toSweAgentTraj((await readTrajectoryLog(recorder.path)).trajectory!);
    assertValid('swe-agent-traj', traj);
    const said = (messages: { role: string; content: unknown }[]) =>
      messages.map(({ role, content }) => ({ role, content }));
    for (const [index, prompt] of prompts.entries())
      assert.deepEqual(said(traj.trajectory[index].query), said(prompt), `.traj step ${index}`);
  });

  type RlRow = { turn_index: number; prompt: ExportMessage[]; response: ExportMessage };

  /** The folder of one scored run of `turns`. */
  async function recorded(runId: string, turns: TurnInput[], provider: string): Promise<string> {
    const out = mkdtempSync(join(tmpdir(), `rl-${runId}-`));
    const run = sampleRun(runId, 'task-r');
    const recorder = await TrajectoryRecorder.start(out, { ...run, model: { ...run.model, provider } });
    for (const turn of turns) await recorder.recordTurn(turn);
    await recorder.finish(sampleResult(1));
    return out;
  }

  /** The .traj steps' queries of one scored run of `turns`, each as its messages' roles and contents. */
  async function trajQueries(runId: string, turns: TurnInput[], provider = 'openai') {
    const out = await recorded(runId, turns, provider);
    const traj = toSweAgentTraj((await readTrajectoryLog(join(out, runId, 'trajectory.jsonl'))).trajectory!);
    return traj.trajectory.map((step) => step.query.map(({ role, content }) => ({ role, content })));
  }

  /** The RL rows of one scored run of `turns`. */
  async function rlRows(runId: string, turns: TurnInput[], provider = 'openai'): Promise<RlRow[]> {
    const out = await recorded(runId, turns, provider);
    const exported = mkdtempSync(join(tmpdir(), `rl-${runId}-out-`));
    await exportDataset({ runs: [out], format: 'rl', out: exported, command: 'rollout export --format rl' });
    return readFileSync(join(exported, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RlRow);
  }

  /** The earlier replies in the prompt of turn `turnIndex`. */
  const promptReplies = (rows: RlRow[], turnIndex: number) =>
    rows.find((row) => row.turn_index === turnIndex)!.prompt.filter((message) => message.role === 'assistant');
  const promptReasoning = (rows: RlRow[], turnIndex: number) =>
    promptReplies(rows, turnIndex).map((message) => message.reasoning_content);
  const promptContents = (rows: RlRow[], turnIndex: number) =>
    promptReplies(rows, turnIndex).map((message) => message.content);

  test("the RL export's prompt carries on each earlier reply the reasoning that went back with it, and no other", async () => {
    const sentBack = (text: string) => ({ reasoning_sent_back: { field: 'reasoning_content', text } });
    const turns = [0, 1, 2, 3].map((index) => sampleTurn(index));
    const replyOf = (index: number) => turns[index].messages.find((message) => message.role === 'assistant')!;
    // DeepSeek's reasoning, sent back; then a tool-call turn without any, sent back as ''.
    turns[0].reasoning = 'Look at calc.py.';
    replyOf(0).extra = sentBack('Look at calc.py.');
    replyOf(1).extra = sentBack('');
    // Reasoning recorded but never sent back (an older record).
    turns[2].reasoning = 'Fix the sign.';
    const rows = await rlRows('reasoning', turns);
    assert.deepEqual(promptReasoning(rows, 3), ['Look at calc.py.', '', undefined]);
    assert.deepEqual(
      rows.map((row) => row.response.reasoning_content),
      ['Look at calc.py.', undefined, 'Fix the sign.', undefined],
      "each response carries its turn's reasoning, as before",
    );
    assert.ok(!JSON.stringify(rows).includes('reasoning_sent_back'), 'extra never reaches an export');
  });

  test("the RL export's prompt carries each earlier reply whose model wrote its reasoning in its text as it was sent, that text included; each response has its reasoning apart", async () => {
    const turns = [0, 1, 2].map((index) => sampleTurn(index));
    const replyOf = (index: number) => turns[index].messages.find((message) => message.role === 'assistant')!;
    turns[0].reasoning = 'Look at calc.py.';
    const answer = replyOf(0).content;
    replyOf(0).extra = {
      reasoning_sent_back: { field: 'content', text: 'Look at calc.py.', before: '<think>', after: '</think>' },
    };
    const rows = await rlRows('inline', turns);
    assert.deepEqual(promptReasoning(rows, 2), [undefined, undefined], 'in no field');
    assert.deepEqual(promptContents(rows, 2)[0], `<think>Look at calc.py.</think>${answer ?? ''}`, 'as sent');
    assert.equal(rows[0].response.reasoning_content, 'Look at calc.py.');
    assert.equal(rows[0].response.content, answer);
  });

  test("the RL export's prompt carries on each earlier Anthropic reply the text of the thinking blocks that went back with it", async () => {
    const turns = [0, 1, 2, 3].map((index) => sampleTurn(index));
    const replyOf = (index: number) => turns[index].messages.find((message) => message.role === 'assistant')!;
    // As the policy keeps Anthropic's blocks: thinking ones with their signatures, and redacted ones (no text).
    replyOf(0).extra = fromAnthropicMessage({
      content: [
        { type: 'thinking', thinking: 'Read calc.py.', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'thinking', thinking: 'Then run the tests.', signature: 'sig-2' },
      ],
    }).extra;
    turns[0].reasoning = 'Read calc.py.\nThen run the tests.';
    replyOf(1).extra = { thinking_blocks: [{ type: 'redacted_thinking', data: 'opaque' }] };
    const rows = await rlRows('thinking', turns);
    assert.deepEqual(promptReasoning(rows, 3), ['Read calc.py.\nThen run the tests.', undefined, undefined]);
    assert.equal(rows[0].response.reasoning_content, promptReasoning(rows, 1)[0], 'as the reply it was carried');
    assert.ok(!/sig-1|opaque/.test(JSON.stringify(rows)), 'no signature nor redacted block reaches an export');
  });

  test("the RL export's prompt carries OpenRouter's reasoning text on each earlier reply, never its reasoning_details", async () => {
    const turns = [0, 1, 2].map((index) => sampleTurn(index));
    const replyOf = (index: number) => turns[index].messages.find((message) => message.role === 'assistant')!;
    turns[0].reasoning = 'Look at calc.py.';
    replyOf(0).extra = {
      reasoning_sent_back: { field: 'reasoning', text: 'Look at calc.py.' },
      reasoning_details: [
        {
          type: 'reasoning.text',
          text: 'Look at calc.py.',
          signature: 'sig-or-1',
          format: 'anthropic-claude-v1',
          index: 0,
        },
        { type: 'reasoning.encrypted', data: 'opaque-or', format: 'anthropic-claude-v1', index: 1 },
      ],
    };
    const rows = await rlRows('openrouter', turns);
    assert.deepEqual(promptReasoning(rows, 2), ['Look at calc.py.', undefined]);
    assert.equal(rows[0].response.reasoning_content, 'Look at calc.py.');
    assert.ok(!/reasoning_details|sig-or-1|opaque-or/.test(JSON.stringify(rows)), 'no block reaches an export');
  });

  test('after a server refused reasoning on earlier replies (the reasoning-field-refused workaround), RL prompts carry none', async () => {
    const turns = [0, 1, 2].map((index) => sampleTurn(index));
    for (const turn of turns) {
      turn.reasoning = `Thought ${turn.index}.`;
      turn.messages.find((message) => message.role === 'assistant')!.extra = {
        reasoning_sent_back: { field: 'reasoning', text: `Thought ${turn.index}.` },
      };
    }
    turns[2].extra = { workarounds: ['reasoning-field-refused'] };
    const rows = await rlRows('refused', turns);
    assert.deepEqual(promptReasoning(rows, 1), ['Thought 0.'], 'sent back before the refusal');
    assert.deepEqual(promptReasoning(rows, 2), [undefined, undefined], 'the refused request went again without');
  });

  test('after a server refused a user message right after a tool result (user-after-tool-refused), RL prompts carry the assistant message the policy put between', async () => {
    const turns = [0, 1, 2, 3].map((index) => sampleTurn(index));
    const feedback = (round: number): ChatMessage => ({
      role: 'user',
      content: `Round ${round}: 1 test still fails.`,
      extra: { speaker: 'test_feedback', round },
    });
    turns[1].messages.unshift(feedback(1));
    turns[3].messages.unshift(feedback(2));
    turns[3].extra = { workarounds: ['user-after-tool-refused'] };
    const rows = await rlRows('bridged', turns);
    const roles = (turnIndex: number) =>
      rows.find((row) => row.turn_index === turnIndex)!.prompt.map((message) => (message as { role: string }).role);
    assert.deepEqual(roles(1), ['system', 'user', 'assistant', 'tool', 'user'], 'sent as it was before the refusal');
    const between = { role: 'assistant', content: ASSISTANT_BETWEEN_TOOL_AND_USER.content };
    const prompt = rows.find((row) => row.turn_index === 3)!.prompt;
    assert.deepEqual(
      [prompt[4], prompt[10]],
      [between, between],
      'after every tool result that a user message follows, from the refused request on',
    );
    assert.equal(prompt.length, 12);
  });

  test('after a server refused text beside calls (assistant-content-and-calls-refused), RL prompts carry the calls without their text', async () => {
    const turns = [0, 1, 2, 3].map((index) => sampleTurn(index));
    turns[2].extra = { workarounds: ['assistant-content-and-calls-refused'] };
    const rows = await rlRows('calls-alone', turns);
    assert.deepEqual(promptContents(rows, 1), ['Let me look (step 0).'], 'sent as it was before the refusal');
    assert.deepEqual(promptContents(rows, 3), ['', '', ''], 'from the refused request on (no text is "" in exports)');
    const queries = await trajQueries('calls-alone-traj', turns);
    const replies = (turnIndex: number) =>
      queries[turnIndex].filter(({ role }) => role === 'assistant').map(({ content }) => content);
    assert.deepEqual([replies(1), replies(3)], [['Let me look (step 0).'], [null, null, null]], '.traj queries too');
    assert.deepEqual(
      rows.map((row) => row.response.content),
      ['Let me look (step 0).', 'Let me look (step 1).', 'Let me look (step 2).', 'Let me look (step 3).'],
      'each response is what the model said',
    );
  });

  test('an empty reply goes in RL prompts as (no response) where it was sent so: always to Anthropic, to others once they refused it', async () => {
    const turns = () => {
      const all = [0, 1, 2, 3].map((index) => sampleTurn(index));
      all[1] = {
        ...all[1],
        messages: [
          { role: 'assistant', content: '' },
          { role: 'user', content: 'Go on.' },
        ],
      };
      all[1].observations = [];
      return all;
    };
    const openai = await rlRows('empty-openai', turns());
    assert.deepEqual(promptContents(openai, 3), ['Let me look (step 0).', '', 'Let me look (step 2).']);
    const anthropic = await rlRows('empty-anthropic', turns(), 'anthropic');
    assert.deepEqual(promptContents(anthropic, 3), ['Let me look (step 0).', NO_RESPONSE, 'Let me look (step 2).']);
    const refused = turns();
    refused[3].extra = { workarounds: ['empty-assistant-refused'] };
    const mistral = await rlRows('empty-refused', refused);
    assert.deepEqual([promptContents(mistral, 2)[1], promptContents(mistral, 3)[1]], ['', NO_RESPONSE]);
    const queries = await trajQueries('empty-anthropic-traj', turns(), 'anthropic');
    assert.deepEqual(queries[3].filter(({ role }) => role === 'assistant')[1].content, NO_RESPONSE, '.traj too');
  });
});
