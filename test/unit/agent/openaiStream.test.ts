/**
 * The accumulation of streamed chat-completion chunks, held to openai-node's own (ChatCompletionStream) on the
 * same chunks, and to what it cannot do: keep apart calls that a server streams at one index.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { CompletionAccumulator } from '../../../src/core/agent/policies/openaiStream';
import type { ReplyDelta } from '../../../src/core/agent/policies/policy';

type ToolCallDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

function chunk(toolCalls: ToolCallDelta[] | undefined, finishReason: string | null = null): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'some-model',
    choices: [
      {
        index: 0,
        delta: { role: 'assistant', ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason as ChatCompletionChunk.Choice['finish_reason'],
      },
    ],
  };
}

/** openai-node's own accumulation of the same chunks. */
async function openaiNodeToolCalls(chunks: ChatCompletionChunk[]) {
  const lines = chunks.map((each) => `${JSON.stringify(each)}\n`).join('');
  const stream = ChatCompletionStream.fromReadableStream(new Blob([lines]).stream());
  const completion = await stream.finalChatCompletion();
  return completion.choices[0].message.tool_calls?.map((call) => ({
    id: call.id,
    type: call.type,
    function: call.type === 'function' ? { name: call.function.name, arguments: call.function.arguments } : {},
  }));
}

function accumulate(chunks: ChatCompletionChunk[], deltas: ReplyDelta[] = []) {
  const accumulator = new CompletionAccumulator((delta) => deltas.push(delta));
  for (const each of chunks) accumulator.push(each);
  return accumulator.result().choices[0].message.tool_calls;
}

describe('CompletionAccumulator', () => {
  test('a name repeated in every piece of a call is set, as openai-node sets it, never doubled', async () => {
    const chunks = [
      chunk([{ index: 0, id: 'call_a', type: 'function', function: { name: 'bash', arguments: '{"comm' } }]),
      chunk([{ index: 0, function: { name: 'bash', arguments: 'and":"ls"}' } }]),
      chunk(undefined, 'tool_calls'),
    ];
    const deltas: ReplyDelta[] = [];
    const ours = accumulate(chunks, deltas);
    assert.deepEqual(ours, await openaiNodeToolCalls(chunks));
    assert.deepEqual(ours?.[0].function, { name: 'bash', arguments: '{"command":"ls"}' });
    assert.deepEqual(
      deltas.flatMap((delta) => (delta.kind === 'tool_call' && delta.name ? [delta.name] : [])),
      ['bash'],
      'the live view is told the name once',
    );
  });

  test('two calls at one index with different ids stay two calls, each with its own name and arguments', () => {
    const deltas: ReplyDelta[] = [];
    const calls = accumulate(
      [
        chunk([{ index: 0, id: 'a', type: 'function', function: { name: 'read', arguments: '{"p":1}' } }]),
        chunk([{ index: 0, id: 'b', type: 'function', function: { name: 'read', arguments: '{"p":2}' } }]),
        chunk(undefined, 'tool_calls'),
      ],
      deltas,
    );
    assert.deepEqual(
      calls?.map((call) => [call.id, call.function.name, call.function.arguments]),
      [
        ['a', 'read', '{"p":1}'],
        ['b', 'read', '{"p":2}'],
      ],
    );
    assert.deepEqual(
      deltas.map((delta) => delta.kind === 'tool_call' && delta.index),
      [0, 1],
    );
  });

  test("a call's extra_content is kept whole, whether it comes with the call or on a piece after it; a null one is none", () => {
    const signature = { google: { thought_signature: 'EjQKMgEMOdbH+Jch/LX75QUCJjyYlm==' } };
    const piece = (fields: Record<string, unknown>) => fields as unknown as ToolCallDelta;
    // Gemini sends each call whole and without an index; some captures show the signature on a piece after it.
    const calls = accumulate([
      chunk([
        piece({ id: 'a', type: 'function', function: { name: 'bash', arguments: '{}' }, extra_content: signature }),
      ]),
      chunk([piece({ id: 'b', type: 'function', function: { name: 'bash', arguments: '{}' } })]),
      chunk([piece({ extra_content: signature })]),
      chunk([piece({ id: 'c', type: 'function', function: { name: 'bash', arguments: '{}' }, extra_content: null })]),
      chunk(undefined, 'tool_calls'),
    ]);
    assert.deepEqual(
      calls?.map((call) => [call.id, call.extra_content]),
      [
        ['a', signature],
        ['b', signature],
        ['c', undefined],
      ],
    );
    assert.ok(!('extra_content' in calls![2]), 'no field for a call without one');
  });

  test('a reasoning field a stream carried, empty too, is kept in the field it came in; a null one is no field', () => {
    const reasoningChunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      ({
        ...chunk(undefined, finishReason),
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      }) as ChatCompletionChunk;
    const messageOf = (...deltas: Record<string, unknown>[]) => {
      const accumulator = new CompletionAccumulator();
      for (const delta of deltas) accumulator.push(reasoningChunk(delta));
      accumulator.push(reasoningChunk({}, 'stop'));
      return accumulator.result().choices[0].message;
    };
    // DeepSeek's thinking mode opens with an empty reasoning_content, then sends content beside a null one.
    assert.deepEqual(
      messageOf(
        { role: 'assistant', content: null, reasoning_content: '' },
        { content: 'Done.', reasoning_content: null },
      ),
      { role: 'assistant', content: 'Done.', reasoning_content: '' },
    );
    assert.deepEqual(messageOf({ reasoning: 'Hmm' }, { reasoning: '.' }, { content: 'Done.' }), {
      role: 'assistant',
      content: 'Done.',
      reasoning: 'Hmm.',
    });
    assert.deepEqual(messageOf({ content: 'Done.', reasoning_content: null, reasoning: null }), {
      role: 'assistant',
      content: 'Done.',
    });
  });
});

describe("CompletionAccumulator: OpenRouter's reasoning_details", () => {
  /** A chunk whose delta carries `delta` (OpenRouter's fields beside OpenAI's). */
  const deltaChunk = (delta: Record<string, unknown>) =>
    ({ ...chunk(undefined), choices: [{ ...chunk(undefined).choices[0], delta }] }) as ChatCompletionChunk;

  test('pieces of one block (one index) are put together in order; each new index begins a block', () => {
    // Shaped as OpenRouter streamed openai/gpt-5 (charmbracelet fantasy's recordings, TestOpenRouterCommon/gpt-5): the
    // summary in pieces at index 0, with the same text in `reasoning`; then its encrypted reasoning whole.
    const summary = (text: string) => ({
      type: 'reasoning.summary',
      summary: text,
      format: 'openai-responses-v1',
      index: 0,
    });
    const encrypted = {
      type: 'reasoning.encrypted',
      data: 'gAAAAABo95AdNmqx',
      format: 'openai-responses-v1',
      index: 1,
    };
    const accumulator = new CompletionAccumulator();
    for (const delta of [
      { role: 'assistant', content: '', reasoning: '**Executing', reasoning_details: [summary('**Executing')] },
      { role: 'assistant', content: '', reasoning: ' both', reasoning_details: [summary(' both')] },
      { role: 'assistant', content: '', reasoning: null, reasoning_details: [encrypted] },
      { role: 'assistant', content: '', reasoning: null, reasoning_details: [] },
    ])
      accumulator.push(deltaChunk(delta));
    const { message } = accumulator.result().choices[0];
    assert.equal(message.reasoning, '**Executing both');
    assert.deepEqual(message.reasoning_details, [summary('**Executing both'), encrypted]);
  });

  test('a signature on a later piece of its block is set on it, an empty one never over a signature; a stream without any has none', () => {
    const text = { type: 'reasoning.text', text: '', signature: '', format: 'anthropic-claude-v1', index: 0 };
    const accumulator = new CompletionAccumulator();
    for (const piece of [text, { ...text, text: 'Look.', signature: undefined }, { ...text, signature: 'EqQB' }, text])
      accumulator.push(deltaChunk({ reasoning_details: [piece] }));
    assert.deepEqual(accumulator.result().choices[0].message.reasoning_details, [
      { ...text, text: 'Look.', signature: 'EqQB' },
    ]);
    const none = new CompletionAccumulator();
    none.push(deltaChunk({ content: 'Hi.' }));
    assert.ok(!('reasoning_details' in none.result().choices[0].message));
  });
});
