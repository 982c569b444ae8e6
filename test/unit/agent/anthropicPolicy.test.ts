import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AnthropicPolicy,
  fromAnthropicMessage,
  toAnthropicConversation,
  type AnthropicPolicyOptions,
} from '../../../src/core/agent/policies/anthropicPolicy';
import { PolicyError, type ChatMessage, type ReplyDelta } from '../../../src/core/agent/policies/policy';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { ScriptedAnthropicServer } from '../../support/scriptedAnthropicServer';
import { step, type ScriptStep } from '../../support/scriptedServer';

const KEY = 'sk-ant-test-0123456789';
const tools = new Toolbox([submitTool()]).definitions;
const conversation: ChatMessage[] = [
  { role: 'system', content: 'You fix bugs.' },
  { role: 'user', content: 'Fix it.' },
  {
    role: 'assistant',
    content: 'Looking.',
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'view', arguments: '{"path":"a.py"}' } },
      { id: 'call.2', type: 'function', function: { name: 'bash', arguments: '{"command": "ls' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '1\tprint(1)' },
  { role: 'tool', tool_call_id: 'call.2', content: 'Invalid arguments for bash: not valid JSON' },
  { role: 'user', content: 'Keep going.' },
  { role: 'assistant', content: '' },
];

describe('Anthropic message mapping', () => {
  test('OpenAI-format conversation → system blocks, alternating turns, tool_use and tool_result blocks', () => {
    assert.deepEqual(toAnthropicConversation(conversation), {
      system: [{ type: 'text', text: 'You fix bugs.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Fix it.' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', id: 'call_1', name: 'view', input: { path: 'a.py' } },
            { type: 'tool_use', id: 'call_2', name: 'bash', input: { unparsed_arguments: '{"command": "ls' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '1\tprint(1)' },
            { type: 'tool_result', tool_use_id: 'call_2', content: 'Invalid arguments for bash: not valid JSON' },
            { type: 'text', text: 'Keep going.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: '(no response)' }] },
      ],
    });
  });

  test('with caching: cache_control on the system prompt and the last block of the two latest user turns only', () => {
    const mapped = toAnthropicConversation(conversation, { cache: true });
    const marked = JSON.stringify(mapped).match(/cache_control/g) ?? [];
    assert.equal(marked.length, 3, 'three breakpoints, within the four Anthropic allows');
    assert.deepEqual(mapped.system?.[0].cache_control, { type: 'ephemeral' });
    const userTurns = mapped.messages.filter((turn) => turn.role === 'user');
    for (const turn of userTurns) {
      const blocks = turn.content as { cache_control?: unknown }[];
      assert.deepEqual(blocks.at(-1)?.cache_control, { type: 'ephemeral' });
      assert.ok(blocks.slice(0, -1).every((block) => block.cache_control === undefined));
    }
  });

  test('Anthropic reply → assistant message; thinking blocks kept verbatim in extra', () => {
    const message = fromAnthropicMessage({
      content: [
        { type: 'thinking', thinking: 'The bug is in round().', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Done.', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'submit', input: { summary: 'x' }, caller: { type: 'direct' } },
      ],
    });
    assert.deepEqual(message, {
      role: 'assistant',
      content: 'Done.',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'submit', arguments: '{"summary":"x"}' } }],
      extra: {
        thinking_blocks: [
          { type: 'thinking', thinking: 'The bug is in round().', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'opaque' },
        ],
      },
    });
    assert.deepEqual(fromAnthropicMessage({ content: [] }), { role: 'assistant', content: '' });
  });
});

describe('Anthropic Messages API (test double of the real wire format)', () => {
  const servers: ScriptedAnthropicServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));
  async function serve(steps: ScriptStep[], options: { contextWindow?: number } = {}) {
    const server = await ScriptedAnthropicServer.start(steps, { apiKey: KEY, ...options });
    servers.push(server);
    return server;
  }
  const policyFor = (server: ScriptedAnthropicServer, options: Partial<AnthropicPolicyOptions> = {}) =>
    new AnthropicPolicy({
      model: 'claude-sonnet-4-20250514',
      baseURL: server.baseURL,
      apiKey: KEY,
      retry: { baseDelayMs: 5 },
      ...options,
      settings: { maxTokens: 1024, ...options.settings },
    });

  test('Anthropic: sends settings, the mapped conversation and tools; returns tool calls and usage', async () => {
    const server = await serve([
      step.toolCall(
        'submit',
        { summary: 'fixed' },
        { content: 'All done.', usage: { prompt_tokens: 90, completion_tokens: 12 } },
      ),
    ]);
    const policy = policyFor(server, { settings: { temperature: 0, stop: ['END'], stream: false } });
    const response = await policy.next({ messages: conversation.slice(0, 2), tools });
    assert.deepEqual(response.message, {
      role: 'assistant',
      content: 'All done.',
      tool_calls: [
        { id: 'toolu_0_0', type: 'function', function: { name: 'submit', arguments: '{"summary":"fixed"}' } },
      ],
    });
    assert.deepEqual(response.usage, { promptTokens: 90, completionTokens: 12 });
    assert.equal(response.finishReason, 'tool_use');
    assert.equal(response.model, 'claude-sonnet-4-20250514');
    const [request] = server.requests;
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(
      [request.body?.max_tokens, request.body?.temperature, request.body?.top_p, request.body?.stop_sequences],
      [1024, 0, undefined, ['END']],
    );
    assert.deepEqual(request.body?.tools, [
      { name: 'submit', description: tools[0].function.description, input_schema: tools[0].function.parameters },
    ]);
    assert.deepEqual(policy.info.parameters, { max_tokens: 1024, temperature: 0, stop_sequences: ['END'] });
    const nucleus = policyFor(server, { settings: { topP: 0.9 } });
    assert.deepEqual(nucleus.info.parameters, { max_tokens: 1024, top_p: 0.9 });
    assert.ok(!JSON.stringify(policy.info).includes(KEY));
  });

  test('Anthropic: the SSE stream (message_start … message_stop) is read piece by piece into the same reply', async () => {
    const server = await serve([
      step.toolCall('submit', { summary: 'streamed' }, { content: 'Submitting the fix now.' }),
    ]);
    const deltas: ReplyDelta[] = [];
    const response = await policyFor(server).next({
      messages: conversation.slice(0, 2),
      tools,
      onDelta: (delta) => deltas.push(delta),
    });
    assert.equal(server.requests[0].body?.stream, true);
    assert.equal(response.message.content, 'Submitting the fix now.');
    assert.equal(response.message.tool_calls?.[0].function.arguments, '{"summary":"streamed"}');
    const text = deltas.flatMap((delta) => (delta.kind === 'content' ? [delta.text] : [])).join('');
    const args = deltas.flatMap((delta) => (delta.kind === 'tool_call' ? [delta.arguments ?? ''] : [])).join('');
    assert.equal(text, 'Submitting the fix now.');
    assert.equal(args, '{"summary":"streamed"}');
    assert.ok(
      deltas.some((delta) => delta.kind === 'tool_call' && delta.name === 'submit' && delta.id === 'toolu_0_0'),
    );
    assert.ok(response.usage.promptTokens > 0 && response.usage.completionTokens > 0);
  });

  test('Anthropic: thinking blocks come back on the next request with their signatures, as the API requires', async () => {
    const server = await serve([
      step.toolCall('submit', { summary: 'x' }, { reasoning: 'First look at round().' }),
      step.text('ok'),
    ]);
    const policy = policyFor(server, { settings: { thinkingBudget: 2048, maxTokens: 4096 } });
    const first = await policy.next({ messages: conversation.slice(0, 2), tools });
    assert.equal(first.reasoning, 'First look at round().');
    const blocks = first.message.extra?.thinking_blocks;
    assert.deepEqual(blocks, [
      {
        type: 'thinking',
        thinking: 'First look at round().',
        signature: ScriptedAnthropicServer.signature('First look at round().'),
      },
    ]);
    const followUp: ChatMessage[] = [
      ...conversation.slice(0, 2),
      first.message,
      { role: 'tool', tool_call_id: first.message.tool_calls![0].id, content: 'Submitted.' },
    ];
    assert.equal((await policy.next({ messages: followUp, tools })).message.content, 'ok');
    const sentBack = (server.requests[1].body?.messages as { content: { type: string; signature?: string }[] }[])[1]
      .content;
    assert.deepEqual(sentBack[0], blocks![0]);
    assert.deepEqual(server.requests[1].body?.thinking, { type: 'enabled', budget_tokens: 2048 });
    // The same request without the thinking block, or with a changed one, is what the API refuses.
    const stripped = { ...first.message, extra: undefined };
    await assert.rejects(
      policy.next({ messages: [...followUp.slice(0, 2), stripped, followUp[3]], tools }),
      (error: PolicyError) => error.status === 400 && /must start with a thinking block/.test(error.message),
    );
    const forged = { ...first.message, extra: { thinking_blocks: [{ ...blocks![0], thinking: 'changed' }] } };
    await assert.rejects(
      policy.next({ messages: [...followUp.slice(0, 2), forged, followUp[3]], tools }),
      /Invalid `signature` in `thinking` block/,
    );
  });

  test('Anthropic: prompt caching reads what the last request wrote; cached and written tokens are counted and priced', async () => {
    const server = await serve([step.text('one'), step.text('two')]);
    const policy = policyFor(server);
    const long: ChatMessage[] = [
      { role: 'system', content: `You fix bugs.\n${'Context line of the repository map.\n'.repeat(200)}` },
      { role: 'user', content: 'Fix it.' },
    ];
    const first = await policy.next({ messages: long, tools });
    assert.ok((first.usage.cacheWriteTokens ?? 0) >= 1024, `wrote ${first.usage.cacheWriteTokens}`);
    assert.equal(first.usage.cachedPromptTokens, undefined);
    const second = await policy.next({
      messages: [...long, first.message, { role: 'user', content: 'Now the tests.' }],
      tools,
    });
    assert.ok((second.usage.cachedPromptTokens ?? 0) >= 1024, `read ${second.usage.cachedPromptTokens}`);
    // claude-sonnet-4: $3 input, $3.75 cache write, $0.30 cache read, $15 output per million tokens.
    const { promptTokens, completionTokens, cachedPromptTokens = 0, cacheWriteTokens = 0 } = second.usage;
    const expected =
      ((promptTokens - cachedPromptTokens - cacheWriteTokens) * 3 +
        cachedPromptTokens * 0.3 +
        cacheWriteTokens * 3.75 +
        completionTokens * 15) /
      1e6;
    assert.ok(Math.abs((second.cost ?? 0) - expected) < 1e-12, `${second.cost} vs ${expected}`);
    assert.ok(
      (second.cost ?? 0) < (promptTokens * 3 + completionTokens * 15) / 1e6,
      'a cache read costs less than fresh input',
    );
    assert.match(policy.info.prices?.source ?? '', /claude-sonnet-4/);
  });

  test('Anthropic: 429 waits its retry-after and 529 (overloaded) retries; a 400 does not', async () => {
    const server = await serve([
      step.httpError(429, { headers: { 'retry-after': '0' } }),
      step.httpError(529),
      step.text('fine'),
    ]);
    const response = await policyFor(server).next({ messages: conversation.slice(0, 2), tools });
    assert.deepEqual([response.message.content, response.retries, server.requests.length], ['fine', 2, 3]);
    server.push(step.httpError(400, { message: 'messages: roles must alternate' }));
    await assert.rejects(
      policyFor(server).next({ messages: conversation.slice(0, 2), tools }),
      (e: PolicyError) => e.status === 400 && /roles must alternate/.test(e.message) && !e.message.includes(KEY),
    );
    assert.equal(server.requests.length, 4);
  });

  test('Anthropic: "prompt is too long" is a context overflow with the sizes the server named', async () => {
    const server = await serve([], { contextWindow: 1000 });
    const error = await policyFor(server)
      .next({ messages: [{ role: 'user', content: 'x'.repeat(8000) }], tools: new Toolbox([bashTool()]).definitions })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.overflow?.limit, 1000);
    assert.ok((error.overflow?.promptTokens ?? 0) > 2000);
    assert.equal(server.requests.length, 1, 'not retried');
  });

  test('Anthropic: settings the Messages API lacks or forbids together are refused, not dropped', () => {
    const base = { model: 'claude-x', apiKey: KEY };
    assert.throws(
      () => new AnthropicPolicy({ ...base, settings: { seed: 1 } }),
      /--seed: Anthropic's Messages API has no sampling seed/,
    );
    for (const [knob, flag] of [
      ['logprobs', '--logprobs'],
      ['tokenIds', '--token-ids'],
    ])
      assert.throws(
        () => new AnthropicPolicy({ ...base, settings: { [knob]: true } }),
        new RegExp(`^Error: ${flag}: Anthropic's Messages API returns no log-probabilities or token ids$`),
      );
    assert.doesNotThrow(() => new AnthropicPolicy({ ...base, settings: { logprobs: false, tokenIds: false } }));
    assert.throws(
      () => new AnthropicPolicy({ ...base, settings: { thinkingBudget: 2048, temperature: 0.2, maxTokens: 4096 } }),
      /requires 1 with thinking/,
    );
    assert.throws(
      () => new AnthropicPolicy({ ...base, settings: { temperature: 0.2, topP: 0.9 } }),
      /--temperature and --top-p cannot be set together for Anthropic: Claude Sonnet 4.5 and later refuse both; set one/,
    );
    assert.throws(
      () => new AnthropicPolicy({ ...base, settings: { thinkingBudget: 9000 } }),
      /must be below the reply limit/,
    );
    assert.throws(() => new AnthropicPolicy({ model: 'claude-x', env: {} }), /ANTHROPIC_API_KEY is not set/);
  });
});

/** An Anthropic SSE event as the API writes it: the event's name, then its data. */
const sse = (data: { type: string } & Record<string, unknown>) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const messageStart = sse({
  type: 'message_start',
  message: {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-6',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 40, output_tokens: 1 },
  },
});
/** A whole streamed reply: text, then tool_use, ended by message_delta and message_stop. */
const wholeReply = [
  messageStart,
  sse({ type: 'ping' }),
  sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Submitting.' } }),
  sse({ type: 'content_block_stop', index: 0 }),
  sse({
    type: 'content_block_start',
    index: 1,
    content_block: { type: 'tool_use', id: 'toolu_01', name: 'submit', input: {} },
  }),
  sse({
    type: 'content_block_delta',
    index: 1,
    delta: { type: 'input_json_delta', partial_json: '{"summary": "fixed"}' },
  }),
  sse({ type: 'content_block_stop', index: 1 }),
  sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }),
  sse({ type: 'message_stop' }),
];

/**
 * Anthropic's streaming Messages API where what happens inside a stream matters: each request to /v1/messages
 * gets the next scripted answer, written as the API writes its SSE events, after its 200.
 */
async function anthropicStreams(answers: ((response: ServerResponse) => void)[]) {
  let served = 0;
  const server = createServer((request, response) => {
    request.resume().on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': `req_0${served}` });
      answers[Math.min(served++, answers.length - 1)](response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests: () => served,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
const send = (events: string[]) => (response: ServerResponse) => response.end(events.join(''));

describe('Anthropic Messages API streams that fail or stop part-way (its SSE events, as documented)', () => {
  const servers: { close(): Promise<void> }[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));
  async function serve(answers: ((response: ServerResponse) => void)[]) {
    const server = await anthropicStreams(answers);
    servers.push(server);
    return server;
  }
  const policyFor = (baseURL: string, timeoutMs?: number) =>
    new AnthropicPolicy({
      model: 'claude-sonnet-4-6',
      baseURL,
      apiKey: KEY,
      retry: { baseDelayMs: 5, maxRetries: 2 },
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  test('Anthropic: an overloaded_error or api_error event after the 200 is retried as the 529 or 500 it stands for', async () => {
    const server = await serve([
      send([messageStart, sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })]),
      send([messageStart, sse({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } })]),
      send(wholeReply),
    ]);
    const deltas: ReplyDelta[] = [];
    const response = await policyFor(server.baseURL).next({
      messages: conversation.slice(0, 2),
      tools,
      onDelta: (delta) => deltas.push(delta),
    });
    assert.deepEqual([response.message.content, response.retries, server.requests()], ['Submitting.', 2, 3]);
    assert.equal(deltas.filter((delta) => delta.kind === 'restart').length, 2);
    const failing = await serve([
      send([messageStart, sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })]),
    ]);
    await assert.rejects(
      policyFor(failing.baseURL).next({ messages: conversation.slice(0, 2), tools }),
      (error: PolicyError) => error.status === 529 && error.retryable && /gave up after 3 attempts/.test(error.message),
    );
  });

  test('Anthropic: a stream closed before message_stop (a tool_use input half sent) is retried, not ended as final', async () => {
    const cutShort = [
      ...wholeReply.slice(0, 6),
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"summ' } }),
    ];
    const server = await serve([send(cutShort), send(wholeReply)]);
    const response = await policyFor(server.baseURL).next({ messages: conversation.slice(0, 2), tools });
    assert.deepEqual(response.message.tool_calls?.[0].function, { name: 'submit', arguments: '{"summary":"fixed"}' });
    assert.deepEqual([response.finishReason, response.retries], ['tool_use', 1]);
  });

  test('Anthropic: a stream that keeps sending pings but never finishes ends at the attempt deadline and is retried', async () => {
    const stalled = (response: ServerResponse) => {
      response.write(messageStart);
      const pinging = setInterval(() => response.write(sse({ type: 'ping' })), 20);
      response.on('close', () => clearInterval(pinging));
    };
    const server = await serve([stalled, send(wholeReply)]);
    const started = performance.now();
    const response = await policyFor(server.baseURL, 300).next({ messages: conversation.slice(0, 2), tools });
    assert.deepEqual([response.message.content, response.retries], ['Submitting.', 1]);
    assert.ok(performance.now() - started < 5000, 'the stalled attempt was cut at its deadline');
  });
});
