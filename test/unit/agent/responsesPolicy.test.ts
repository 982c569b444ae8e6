import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy, parsePolicySpec } from '../../../src/core/agent/policies/policySpec';
import {
  fromResponseOutput,
  ResponsesPolicy,
  toResponsesInput,
  type ResponsesPolicyOptions,
} from '../../../src/core/agent/policies/responsesPolicy';
import { PolicyError, type ChatMessage, type ReplyDelta } from '../../../src/core/agent/policies/policy';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { viewTool } from '../../../src/core/agent/tools/view';
import { converse } from '../../support/converse';
import { ScriptedResponsesServer, type ScriptedResponsesServerOptions } from '../../support/scriptedResponsesServer';
import { step, type ScriptStep } from '../../support/scriptedServer';

const reasoningItem = {
  id: 'rs_1',
  type: 'reasoning',
  summary: [{ type: 'summary_text', text: 'The bug is in round().' }],
  encrypted_content: 'gAAAAABoENCRYPTED==',
};

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You fix bugs.' },
  { role: 'user', content: 'Fix it.' },
  {
    role: 'assistant',
    content: 'Looking.',
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'view', arguments: '{"path":"a.py"}' } }],
    extra: { reasoning_items: [reasoningItem] },
  },
  { role: 'tool', tool_call_id: 'call_1', content: '1\tprint(1)' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'bash', arguments: '{"command": "ls' } }],
  },
  { role: 'tool', tool_call_id: 'call_2', content: 'Invalid arguments for bash: not valid JSON' },
  { role: 'user', content: 'Keep going.' },
];

describe('Responses API mapping', () => {
  test('chat messages → instructions and input items: reasoning items as they came, then text, then function_call items', () => {
    assert.deepEqual(toResponsesInput(conversation), {
      instructions: 'You fix bugs.',
      input: [
        { role: 'user', content: 'Fix it.' },
        reasoningItem,
        { role: 'assistant', content: 'Looking.' },
        { type: 'function_call', call_id: 'call_1', name: 'view', arguments: '{"path":"a.py"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '1\tprint(1)' },
        { type: 'function_call', call_id: 'call_2', name: 'bash', arguments: '{"command": "ls' },
        { type: 'function_call_output', call_id: 'call_2', output: 'Invalid arguments for bash: not valid JSON' },
        { role: 'user', content: 'Keep going.' },
      ],
    });
  });

  test('a reply cut off while the model thought (reasoning, no text, no call) sends back no lone reasoning item', () => {
    const cutOff: ChatMessage[] = [
      { role: 'user', content: 'Fix it.' },
      { role: 'assistant', content: '', extra: { reasoning_items: [reasoningItem] } },
      { role: 'user', content: 'Your reply was cut off.' },
    ];
    assert.deepEqual(toResponsesInput(cutOff).input, [
      { role: 'user', content: 'Fix it.' },
      { role: 'user', content: 'Your reply was cut off.' },
    ]);
  });

  test('output items → one assistant message: text joined, calls by call_id, reasoning items kept whole', () => {
    const message = fromResponseOutput([
      { ...reasoningItem, type: 'reasoning' } as never,
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Done.', annotations: [] }],
      },
      { id: 'fc_1', type: 'function_call', call_id: 'call_9', name: 'submit', arguments: '{"summary":"x"}' },
    ]);
    assert.deepEqual(message, {
      role: 'assistant',
      content: 'Done.',
      tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'submit', arguments: '{"summary":"x"}' } }],
      extra: { reasoning_items: [reasoningItem] },
    });
    assert.deepEqual(fromResponseOutput([]), { role: 'assistant', content: '' });
    const withoutCallId = fromResponseOutput([
      { id: 'fc_7', type: 'function_call', name: 'submit', arguments: '{}' } as never,
      { type: 'function_call', name: 'submit', arguments: '{}' } as never,
    ]);
    assert.deepEqual(
      withoutCallId.tool_calls?.map((call) => call.id),
      ['fc_7', 'call_1'],
      'a call without call_id keeps an id its result can name',
    );
  });

  test('openai-responses:MODEL[@URL] is a policy spec of its own', () => {
    assert.deepEqual(parsePolicySpec('openai-responses:gpt-5-codex'), {
      backend: 'openai-responses',
      model: 'gpt-5-codex',
    });
    assert.deepEqual(parsePolicySpec('openai-responses:openai/gpt-oss-20b@http://localhost:8000/v1'), {
      backend: 'openai-responses',
      model: 'openai/gpt-oss-20b',
      baseURL: 'http://localhost:8000/v1',
    });
  });

  test('knobs the Responses API lacks are refused, not dropped; OpenAI itself needs a key', () => {
    const policy = (settings: Record<string, unknown>) =>
      new ResponsesPolicy({ model: 'gpt-5-codex', apiKey: 'sk-test', settings });
    assert.throws(() => policy({ stop: ['END'] }), /--stop: OpenAI's Responses API has no stop sequences/);
    assert.throws(() => policy({ seed: 1 }), /--seed: OpenAI's Responses API has no sampling seed/);
    assert.throws(() => policy({ tokenIds: true }), /--token-ids: OpenAI's Responses API returns no token ids/);
    assert.throws(() => policy({ logprobs: true }), /--logprobs: OpenAI's Responses API/);
    assert.throws(() => policy({ numCtx: 4096 }), /--num-ctx sets Ollama's context size/);
    assert.throws(() => new ResponsesPolicy({ model: 'gpt-5-codex', env: {} }), /OPENAI_API_KEY is not set/);
    const local = new ResponsesPolicy({ model: 'gpt-oss', baseURL: 'http://127.0.0.1:8000/v1', env: {} });
    assert.deepEqual(local.info.parameters, { store: false, include: ['reasoning.encrypted_content'] });
    const sampled = policy({ temperature: 0.2, topP: 0.9, maxTokens: 2048 });
    assert.deepEqual(sampled.info.parameters, {
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 2048,
      store: false,
      include: ['reasoning.encrypted_content'],
    });
  });
});

describe("OpenAI's Responses API (test double of the real wire format)", () => {
  const KEY = 'sk-test-responses-0123456789';
  // The agent's tools have optional parameters: a schema the API's default strict mode refuses.
  const tools = new Toolbox([viewTool(), submitTool()]).definitions;
  const opening: ChatMessage[] = [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'Fix it.' },
  ];
  const servers: ScriptedResponsesServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));
  async function serve(steps: ScriptStep[], options: ScriptedResponsesServerOptions = {}) {
    const server = await ScriptedResponsesServer.start(steps, { apiKey: KEY, model: 'gpt-5-codex', ...options });
    servers.push(server);
    return server;
  }
  const policyFor = (server: ScriptedResponsesServer, options: Partial<ResponsesPolicyOptions> = {}) =>
    new ResponsesPolicy({
      model: 'gpt-5-codex',
      baseURL: server.baseURL,
      apiKey: KEY,
      retry: { baseDelayMs: 5 },
      ...options,
    });

  for (const stream of [false, true])
    test(`Responses API: a reasoning model's encrypted reasoning goes back with each later request, as it came (${stream ? 'streamed' : 'not streamed'})`, async () => {
      const server = await serve(
        [
          step.toolCall('view', { path: 'a.py' }, { reasoning: 'Look at a.py first.', content: 'Looking.' }),
          step.toolCall('submit', { summary: 'fixed' }, { reasoning: 'round() is wrong; fixed.' }),
          step.text('Submitted.'),
        ],
        { reasoningModel: true },
      );
      const { conversation, replies } = await converse(policyFor(server, { settings: { stream } }), opening, tools);
      assert.equal(server.responseRequests.length, 3, 'no request was refused');
      const [first] = replies;
      const [item] = first.message.extra?.reasoning_items ?? [];
      assert.equal(
        item.encrypted_content,
        ScriptedResponsesServer.encryptedContent(String(item.id), 'Look at a.py first.'),
      );
      assert.deepEqual(first.message.tool_calls?.[0].function, { name: 'view', arguments: '{"path":"a.py"}' });
      assert.equal(first.finishReason, 'tool_calls');
      assert.equal(first.model, 'gpt-5-codex');
      assert.ok((first.usage.reasoningTokens ?? 0) > 0 && first.usage.completionTokens > first.usage.reasoningTokens!);
      const lastInput = server.responseRequests[2].body?.input as Record<string, unknown>[];
      assert.deepEqual(
        lastInput.filter((entry) => entry.type === 'reasoning'),
        [item, replies[1].message.extra?.reasoning_items?.[0]],
      );
      assert.equal(server.responseRequests[0].body?.instructions, 'You fix bugs.');
      assert.equal(server.responseRequests[0].body?.store, false);
      assert.equal(conversation.at(-1)?.content, 'Submitted.');
      assert.equal(replies.at(-1)?.finishReason, 'completed');
    });

  test("Responses API: --reasoning-effort and --reasoning-summary go as `reasoning`; the summary is the turn's reasoning", async () => {
    const server = await serve([step.text('Done.', { reasoning: 'Nothing left to fix.' })], { reasoningModel: true });
    const settings = { reasoningEffort: 'high', reasoningSummary: 'auto' } as const;
    const response = await policyFor(server, { settings }).next({ messages: opening, tools });
    assert.deepEqual(server.responseRequests[0].body?.reasoning, { effort: 'high', summary: 'auto' });
    assert.equal(response.reasoning, 'Nothing left to fix.');
    const plain = await serve([], { model: 'gpt-4.1' });
    const refused = await policyFor(plain, { model: 'gpt-4.1', settings: { reasoningEffort: 'low' } })
      .next({ messages: opening, tools })
      .catch((error: unknown) => error);
    assert.match(String(refused), /Unsupported parameter: 'reasoning.effort' is not supported with this model/);
  });

  test('Responses API: a model that does not reason refuses encrypted reasoning once; later requests go without it, and say so', async () => {
    const server = await serve([step.text('one'), step.text('two')], { model: 'gpt-4.1' });
    const policy = policyFor(server, { model: 'gpt-4.1' });
    const first = await policy.next({ messages: opening, tools });
    const second = await policy.next({ messages: opening, tools });
    assert.deepEqual([first.message.content, second.message.content], ['one', 'two']);
    assert.deepEqual(
      server.responseRequests.map((request) => request.body?.include),
      [['reasoning.encrypted_content'], undefined, undefined],
      'refused once, then never asked again',
    );
    assert.deepEqual(second.workarounds, ['encrypted-reasoning-refused']);
    const resumed = policyFor(server, { model: 'gpt-4.1' });
    resumed.resumeAfter({ answers: 2, workarounds: ['encrypted-reasoning-refused'] });
    server.push(step.text('three'));
    await resumed.next({ messages: opening, tools });
    assert.equal(server.responseRequests.at(-1)?.body?.include, undefined, 'a resumed run starts around it');
  });

  for (const stream of [false, true])
    test(`Responses API without a reasoning parser (vLLM's): a thought in the text is read apart and goes back in it (${stream ? 'streamed' : 'not streamed'})`, async () => {
      const reply = '<think>\nCheck the tests first.\n</think>\n\nAll done.';
      const server = await serve([step.text(reply), step.text('ok')], { model: 'Qwen/QwQ-32B' });
      const policy = policyFor(server, { model: 'Qwen/QwQ-32B', settings: { stream } });
      const deltas: ReplyDelta[] = [];
      const first = await policy.next({ messages: opening, tools, onDelta: (delta) => deltas.push(delta) });
      assert.equal(first.message.content, '\n\nAll done.');
      assert.equal(first.reasoning, '\nCheck the tests first.\n');
      if (stream) {
        const shown = deltas.flatMap((delta) => (delta.kind === 'reasoning' ? [delta.text] : [])).join('');
        assert.equal(shown, '\nCheck the tests first.\n', 'shown live as reasoning');
      }
      await policy.next({ messages: [...opening, first.message, { role: 'user', content: 'Thanks.' }], tools });
      const input = server.responseRequests.at(-1)?.body?.input as { role?: string; content?: unknown }[];
      assert.deepEqual(
        input.find((item) => item.role === 'assistant'),
        { role: 'assistant', content: reply },
        'the reply goes back as it came',
      );
    });

  test('Responses API: the SSE events are read piece by piece into the reply', async () => {
    const server = await serve([step.toolCall('submit', { summary: 'streamed' }, { content: 'Submitting now.' })]);
    const deltas: ReplyDelta[] = [];
    const response = await policyFor(server).next({
      messages: opening,
      tools,
      onDelta: (delta) => deltas.push(delta),
    });
    assert.equal(server.responseRequests[0].body?.stream, true);
    const text = deltas.flatMap((delta) => (delta.kind === 'content' ? [delta.text] : [])).join('');
    const args = deltas.flatMap((delta) => (delta.kind === 'tool_call' ? [delta.arguments ?? ''] : [])).join('');
    assert.equal(text, 'Submitting now.');
    assert.equal(args, '{"summary":"streamed"}');
    const callId = response.message.tool_calls?.[0].id;
    assert.ok(deltas.some((delta) => delta.kind === 'tool_call' && delta.name === 'submit' && delta.id === callId));
  });

  test('Responses API: a response that fails inside its stream (response.failed, server_error) is retried', async () => {
    const server = await serve([
      step.httpError(500, { message: 'The server had an error processing your request.' }),
      step.text('ok'),
    ]);
    const deltas: ReplyDelta[] = [];
    const response = await policyFor(server).next({ messages: opening, tools, onDelta: (delta) => deltas.push(delta) });
    assert.equal(response.message.content, 'ok');
    assert.equal(response.retries, 1);
    assert.ok(deltas.some((delta) => delta.kind === 'restart'));
  });

  test('Responses API: a reply cut at max_output_tokens ends with that reason, which the loop reads as cut off', async () => {
    const server = await serve([step.toolCall('submit', '{"summary": "cut', { finishReason: 'length' })]);
    const response = await policyFor(server, { settings: { maxTokens: 64 } }).next({ messages: opening, tools });
    assert.equal(response.finishReason, 'max_output_tokens');
    assert.equal(server.responseRequests[0].body?.max_output_tokens, 64);
  });

  test('Responses API: 429 is retried; a prompt past the window is an overflow; a 400 is final', async () => {
    const server = await serve([step.httpError(429, { headers: { 'retry-after-ms': '5' } }), step.text('ok')], {
      contextWindow: 2000,
    });
    const policy = policyFor(server);
    const answered = await policy.next({ messages: opening, tools });
    assert.equal(answered.retries, 1);
    const overflow = await policy
      .next({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }], tools })
      .catch((error: unknown) => error);
    assert.ok(overflow instanceof PolicyError && overflow.overflow, String(overflow));
    assert.equal(overflow.retryable, false);
    const refused = await policyFor(server, { model: 'o3', settings: { temperature: 0.5 } })
      .next({ messages: opening, tools })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof PolicyError);
    assert.equal(refused.status, 400);
  });

  test('Responses API: createPolicy makes it from openai-responses:MODEL@URL with the key from the environment', async () => {
    const server = await serve([step.text('ok')]);
    const policy = await createPolicy(`openai-responses:gpt-5-codex@${server.baseURL}`, {
      env: { OPENAI_API_KEY: KEY },
      noProbe: true,
    });
    assert.equal(policy.info.backend, 'openai-responses');
    assert.equal((await policy.next({ messages: opening, tools })).message.content, 'ok');
  });
});
