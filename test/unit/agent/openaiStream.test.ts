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
