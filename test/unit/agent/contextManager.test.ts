import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compactionStateFromEvents,
  ContextManager,
  type CompactionStrategy,
} from '../../../src/core/agent/context/contextManager';
import { RunBudget } from '../../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import { splitUnits } from '../../../src/core/agent/context/conversationUnits';
import { isHarnessNote, notes } from '../../../src/core/agent/notes';
import { TokenMeter } from '../../../src/core/agent/context/tokenMeter';
import type {
  AssistantMessage,
  ChatMessage,
  Policy,
  PolicyRequest,
  PolicyResponse,
} from '../../../src/core/agent/policies/policy';
import { PolicyError } from '../../../src/core/agent/policies/policy';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { rebuildRequest, requestOfTurn } from '../../../src/core/trajectory/request';
import type { RequestPart, RunEvent } from '../../../src/core/trajectory/types';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';

const tools = new Toolbox([bashTool()]).definitions;

interface Recorded {
  kind: string;
  data: Record<string, unknown>;
}

function fakePolicy(
  window: number,
  summaries: string[] = [],
  failSummary = false,
): Policy & { requests: PolicyRequest[] } {
  const requests: PolicyRequest[] = [];
  return {
    requests,
    info: {
      backend: 'openai',
      model: 'm',
      parameters: {},
      settings: { maxTokens: 256 },
      contextWindow: { tokens: window, source: 'test' },
    },
    async next(request): Promise<PolicyResponse> {
      requests.push(request);
      if (failSummary) throw new PolicyError('summary server down', 503, true);
      return {
        message: { role: 'assistant', content: summaries.shift() ?? 'SUMMARY: looked at a.py; the bug is in round().' },
        usage: { promptTokens: 500, completionTokens: 40 },
        cost: 0.001,
        modelMs: 1,
        retries: 0,
      };
    },
  };
}

function manager(policy: Policy, strategy: CompactionStrategy = 'sliding-window') {
  const events: Recorded[] = [];
  const budget = new RunBudget(DEFAULT_AGENT_CONFIG);
  const context = new ContextManager({
    policy,
    strategy,
    tools,
    fallbackWindow: 128_000,
    recordEvent: async (kind, data) => void events.push({ kind, data }),
    budget,
  });
  return { context, events, budget };
}

/** A conversation of `turns` bash turns, each observation `observation` characters long. */
function conversation(turns: number, observation = 2000): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'Fix the rounding bug in pagekit.' },
  ];
  for (let turn = 0; turn < turns; turn++) {
    messages.push({
      role: 'assistant',
      content: `Step ${turn}.`,
      tool_calls: [
        { id: `c${turn}`, type: 'function', function: { name: 'bash', arguments: `{"command":"cat f${turn}"}` } },
      ],
    });
    messages.push({ role: 'tool', tool_call_id: `c${turn}`, content: `${turn}:`.padEnd(observation, 'o') });
  }
  return messages;
}

/** The request a compaction event recorded, rebuilt from the conversation it was made of. */
function sentBy(event: Recorded, messages: ChatMessage[]) {
  assert.equal(event.data.conversation_length, messages.length);
  return rebuildRequest(event.data.request as RequestPart[], messages, 'the compaction turn');
}

const chars = (messages: ChatMessage[]) => messages.reduce((sum, message) => sum + (message.content?.length ?? 0), 0);

describe('context management: sliding window', () => {
  test('a conversation that fits goes whole, and nothing is recorded', async () => {
    const { context, events } = manager(fakePolicy(100_000));
    const messages = conversation(5);
    const request = await context.request(messages);
    assert.deepEqual(request.messages, messages);
    assert.deepEqual(events, []);
  });

  test('past the budget the oldest turns give way to a note; the opening and the latest turns stay whole', async () => {
    const { context, events } = manager(fakePolicy(4000));
    const messages = conversation(12);
    const request = await context.request(messages);
    assert.deepEqual(request.messages.slice(0, 2), messages.slice(0, 2));
    assert.ok(isHarnessNote(request.messages[2]));
    assert.match(
      request.messages[2].content ?? '',
      /^\[harness\] \d+ earlier turns were removed to fit the context window/,
    );
    assert.deepEqual(request.messages.slice(-2), messages.slice(-2), 'the latest turn goes whole');
    assert.ok(chars(request.messages) < chars(messages) / 2);
    const [event] = events;
    assert.equal(event.kind, 'compaction');
    assert.equal(event.data.strategy, 'sliding-window');
    assert.equal(event.data.reason, 'threshold');
    assert.ok((event.data.estimated_tokens_before as number) > (event.data.budget as number));
    assert.ok((event.data.estimated_tokens_after as number) <= (event.data.budget as number) * 0.6);
    // The recorded request rebuilds the one sent, and holds for the turns that follow it, with what they add.
    assert.deepEqual(sentBy(event, messages), request.messages);
    const next = [...messages, ...conversation(1).slice(2)];
    const recorded: RunEvent[] = [{ kind: 'compaction', at: '', after_turn: 12, data: event.data }];
    assert.deepEqual(requestOfTurn(recorded, 13, next, 'turn 13'), (await context.request(next)).messages);
  });

  test('after a compaction the prefix stays put for the next turns (no compaction each turn)', async () => {
    const { context, events } = manager(fakePolicy(4000));
    let messages = conversation(12);
    const first = await context.request(messages);
    messages = [...messages, ...conversation(1, 200).slice(2)];
    const second = await context.request(messages);
    assert.equal(events.length, 1);
    assert.deepEqual(second.messages.slice(0, first.messages.length), first.messages);
  });

  test("a user's follow-up is never dropped while the reply to it is kept (CodeAssistBench conversations)", async () => {
    const { context } = manager(fakePolicy(3000));
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a maintainer.' },
      { role: 'user', content: '<issue>How do I configure the parser?</issue>' },
      { role: 'assistant', content: 'Use parse(strict=False).' },
      { role: 'user', content: 'FOLLOW-UP 1: that raised TypeError.' },
    ];
    for (let turn = 0; turn < 6; turn++)
      messages.push(
        ...conversation(1, 1500)
          .slice(2)
          .map((message) => ({ ...message })),
      );
    messages.push(
      { role: 'assistant', content: 'Fixed in parser.py.' },
      { role: 'user', content: 'FOLLOW-UP 2: and for dates?' },
    );
    for (let turn = 0; turn < 6; turn++)
      messages.push(
        ...conversation(1, 1500)
          .slice(2)
          .map((message) => ({ ...message })),
      );
    const request = await context.request(messages);
    assert.ok(request.messages.length < messages.length, 'compacted');
    const sent = request.messages.map((message) => message.content);
    const followUps = messages.filter((message) => message.role === 'user' && /^FOLLOW-UP/.test(message.content ?? ''));
    for (const followUp of followUps) assert.ok(sent.includes(followUp.content), `kept: ${followUp.content}`);
    assert.ok(sent.indexOf('FOLLOW-UP 1: that raised TypeError.') < sent.indexOf('FOLLOW-UP 2: and for dates?'));
    // Every reply that is sent comes after the follow-up it answers.
    const units = splitUnits(messages).units;
    assert.deepEqual(
      units.filter((unit) => unit.kind === 'followup').map((unit) => messages[unit.start].content),
      followUps.map((message) => message.content),
    );
  });

  test('a single turn that alone passes the budget has its observation shortened in the middle', async () => {
    const { context, events } = manager(fakePolicy(4000));
    const messages = conversation(2, 40_000);
    const request = await context.request(messages);
    const last = request.messages.at(-1)!;
    assert.equal(last.role, 'tool');
    assert.ok((last.content?.length ?? 0) < 12_000, `shortened to ${last.content?.length}`);
    assert.ok(last.content?.startsWith('1:oooo'));
    assert.match(last.content ?? '', /characters removed here to fit the context window/);
    const [event] = events;
    assert.deepEqual(
      event.data.messages_shortened_now,
      [4, 5].filter((index) => messages[index].role === 'tool'),
    );
    assert.ok((event.data.estimated_tokens_after as number) <= (event.data.budget as number));
    assert.deepEqual(sentBy(event, messages), request.messages);
  });

  test('a server that says the prompt is too long sets the window and the estimate, and the next request fits its word', async () => {
    const { context, events } = manager(fakePolicy(100_000));
    const messages = conversation(20);
    const whole = await context.request(messages);
    assert.equal(whole.messages.length, messages.length);
    context.overflowed({ limit: 8192, promptTokens: 30_000 }, whole.chars);
    assert.equal(context.window, 8192);
    const refit = await context.request(messages);
    const [event] = events;
    assert.equal(event.data.reason, 'overflow');
    assert.deepEqual(event.data.server_said, { limit: 8192, promptTokens: 30_000 });
    // In the server's own count (30 000 tokens for the whole request) the new request is within its window.
    const serverTokens = (refit.chars * 30_000) / whole.chars;
    assert.ok(serverTokens < 8192, `${Math.round(serverTokens)} server tokens`);
  });

  test('a resumed run continues with the compaction its last event recorded', async () => {
    const { context, events } = manager(fakePolicy(4000));
    const messages = conversation(2, 40_000);
    messages.push(
      ...conversation(8)
        .slice(2)
        .map(
          (message, index) =>
            ({ ...message, tool_call_id: message.role === 'tool' ? `d${index}` : undefined }) as ChatMessage,
        ),
    );
    const request = await context.request(messages);
    const state = compactionStateFromEvents(events.map((event) => ({ kind: event.kind, data: event.data })));
    assert.ok(state);
    const resumed = new ContextManager({
      policy: fakePolicy(4000),
      strategy: 'sliding-window',
      tools,
      fallbackWindow: 128_000,
      recordEvent: async () => undefined,
      budget: new RunBudget(DEFAULT_AGENT_CONFIG),
      initial: state,
    });
    assert.deepEqual((await resumed.request(messages)).messages, request.messages);
  });
});

describe('context management: summarize', () => {
  test('the model writes a summary that stands in for the elided turns; its cost is recorded and charged', async () => {
    const policy = fakePolicy(4000, ['SUMMARY ONE: read f0..f6; round() truncates.']);
    const { context, events, budget } = manager(policy, 'summarize');
    const messages = conversation(12);
    const request = await context.request(messages);
    const summaryMessage = request.messages[2];
    assert.ok(isHarnessNote(summaryMessage));
    assert.match(
      summaryMessage.content ?? '',
      /Summary of your \d+ earlier turns.*\n\nSUMMARY ONE: read f0\.\.f6; round\(\) truncates\./s,
    );
    const call = policy.requests[0];
    assert.deepEqual(call.tools, []);
    assert.match(call.messages[0].content ?? '', /working memory of a coding agent/);
    assert.match(call.messages[1].content ?? '', /You called bash \{"command":"cat f0"\}/);
    const [event] = events;
    assert.equal(event.data.strategy, 'summarize');
    assert.equal(event.data.summary, 'SUMMARY ONE: read f0..f6; round() truncates.');
    const usage = { calls: 1, tokens_in: 500, tokens_out: 40, cost_usd: 0.001, model_ms: 1 };
    assert.deepEqual(event.data.usage, { role: 'summary', ...usage });
    assert.deepEqual(budget.byRole(), { summary: usage });
    assert.deepEqual(budget.beyondTurnsUsage, usage);
    assert.deepEqual(sentBy(event, messages), request.messages);
  });

  test('the next compaction folds the newly elided turns into the previous summary', async () => {
    const policy = fakePolicy(4000, ['SUMMARY ONE.', 'SUMMARY TWO.']);
    const { context, events } = manager(policy, 'summarize');
    let messages = conversation(12);
    await context.request(messages);
    messages = [
      ...messages,
      ...conversation(12)
        .slice(2)
        .map((message) => ({ ...message })),
    ];
    const request = await context.request(messages);
    assert.equal(events.length, 2);
    assert.match(policy.requests[1].messages[1].content ?? '', /^Your summary so far:\nSUMMARY ONE\./);
    assert.match(request.messages[2].content ?? '', /SUMMARY TWO\.$/);
    assert.ok(request.messages.filter((message) => /Summary of your/.test(message.content ?? '')).length === 1);
  });

  test('a summary call that fails leaves a note instead, and says why in the event', async () => {
    const { context, events } = manager(fakePolicy(4000, [], true), 'summarize');
    const request = await context.request(conversation(12));
    assert.match(request.messages[2].content ?? '', /earlier turns were removed/);
    assert.match(events[0].data.summary_error as string, /summary server down/);
  });
});

describe('harness notes', () => {
  test('every note the harness writes is recognised as one; a user message is not', () => {
    for (const note of [
      notes.noToolCall(),
      notes.emptyReply(),
      notes.cutOff({ tokens: 10, calls: [] }),
      notes.elidedTurns(2),
    ])
      assert.ok(isHarnessNote(note), note.content);
    assert.ok(!isHarnessNote({ role: 'user', content: 'Please also handle negative counts.' }));
  });
});

describe('token meter', () => {
  test("the reasoning a reply goes back with takes room as its text does: a server reasoning field, thinking blocks, OpenRouter's reasoning blocks", () => {
    const meter = new TokenMeter();
    const thought = 'x'.repeat(3000);
    const reply: ChatMessage = { role: 'assistant', content: 'Done.' };
    const bare = meter.chars(reply);
    const withReasoning = (extra: AssistantMessage['extra']): ChatMessage => ({ ...reply, extra });
    assert.equal(
      meter.chars(withReasoning({ reasoning_sent_back: { field: 'reasoning_content', text: thought } })),
      bare + thought.length,
    );
    assert.equal(
      meter.chars(withReasoning({ thinking_blocks: [{ type: 'thinking', thinking: thought, signature: 'sig' }] })),
      bare + thought.length,
    );
    const details = [{ type: 'reasoning.encrypted', data: thought, format: 'anthropic-claude-v1', index: 0 }];
    assert.equal(
      meter.chars(withReasoning({ reasoning_details: details })),
      bare + JSON.stringify(details).length,
      'as the JSON that goes back',
    );
  });
});
