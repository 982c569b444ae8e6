/**
 * The Responses API double, read by the official `openai` SDK: what it answers must be what the SDK reads from
 * OpenAI, and what it refuses must be refused with OpenAI's words.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type {
  ResponseCreateParamsBase,
  ResponseInputItem,
  ResponseOutputItem,
  ResponseReasoningItem,
} from 'openai/resources/responses/responses';
import { ScriptedResponsesServer, type ScriptedResponsesServerOptions } from '../../support/scriptedResponsesServer';
import { step, type ScriptStep } from '../../support/scriptedServer';

const KEY = 'sk-test-responses-0123456789';

const bashTool = {
  type: 'function' as const,
  name: 'bash',
  description: 'Run a shell command.',
  parameters: {
    type: 'object',
    properties: { command: { type: 'string' } },
    required: ['command'],
    additionalProperties: false,
  },
  strict: true,
};

let server: ScriptedResponsesServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(steps: ScriptStep[], options: ScriptedResponsesServerOptions = {}): Promise<OpenAI> {
  server = await ScriptedResponsesServer.start(steps, { apiKey: KEY, ...options });
  return new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
}

/** The error the SDK throws for a request, for its status, words and fields. */
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => assert.fail('the request was accepted'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof OpenAI.APIError, `an APIError, not ${String(error)}`);
  return error;
}

/**
 * Output items without their ids (each response numbers its own) and the fields the SDK's stream helper adds when
 * it parses (`parsed`, `parsed_arguments`).
 */
function wireItems(output: ResponseOutputItem[]): unknown[] {
  return JSON.parse(
    JSON.stringify(output, (key, value) => (['id', 'parsed', 'parsed_arguments'].includes(key) ? undefined : value)),
  );
}

describe('OpenAI Responses API double (wire format as OpenAI documents it)', () => {
  test('a streamed answer gives the SDK the same reasoning, message and calls as the answer sent whole', async () => {
    const answer = step.toolCalls(
      [
        { name: 'bash', arguments: { command: 'ls' }, id: 'call_ls' },
        { name: 'bash', arguments: '{"command": "cat', id: 'call_cat' },
      ],
      { content: 'Looking around.', reasoning: 'The files first.' },
    );
    const client = await clientFor([answer, answer], { reasoningModel: true });
    const body: Omit<ResponseCreateParamsBase, 'stream'> = {
      model: 'o4-mini',
      input: 'Fix the bug.',
      tools: [bashTool],
      reasoning: { effort: 'low', summary: 'auto' },
    };
    const whole = await client.responses.create(body);
    const streamed = await client.responses.stream(body).finalResponse();

    assert.deepEqual(wireItems(streamed.output), wireItems(whole.output));
    assert.equal(streamed.status, 'completed');
    assert.deepEqual(whole.output, [
      { id: 'rs_scripted_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'The files first.' }] },
      {
        id: 'msg_scripted_0',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Looking around.', annotations: [], logprobs: [] }],
      },
      {
        id: 'fc_scripted_0_0',
        type: 'function_call',
        status: 'completed',
        call_id: 'call_ls',
        name: 'bash',
        arguments: '{"command":"ls"}',
      },
      {
        id: 'fc_scripted_0_1',
        type: 'function_call',
        status: 'completed',
        call_id: 'call_cat',
        name: 'bash',
        arguments: '{"command": "cat',
      },
    ]);
    assert.equal(whole.output_text, 'Looking around.');
    assert.equal(whole.usage?.output_tokens_details.reasoning_tokens, 4, 'the reasoning, 16 characters');
    assert.equal(server!.responseRequests.length, 2);
  });

  test('the stream sends its events in OpenAI order, numbered, and a reply cut at the limit ends incomplete', async () => {
    const client = await clientFor([step.text('Half an ans', { finishReason: 'length' })]);
    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'Explain.', max_output_tokens: 4 });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);

    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.incomplete',
      ],
    );
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const last = events.at(-1) as OpenAI.Responses.ResponseIncompleteEvent;
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
  });

  test('a reasoning model gives no summary unless asked, and its encrypted content only when included', async () => {
    const client = await clientFor(
      [step.text('Done.', { reasoning: 'Think.' }), step.text('Done.', { reasoning: 'Think.' })],
      {
        reasoningModel: true,
      },
    );
    const plain = await client.responses.create({ model: 'gpt-5', input: 'Go.' });
    const included = await client.responses.create({
      model: 'gpt-5',
      input: 'Go.',
      store: false,
      include: ['reasoning.encrypted_content'],
    });

    assert.deepEqual(plain.output[0], { id: 'rs_scripted_0', type: 'reasoning', summary: [] });
    assert.deepEqual(included.output[0], {
      id: 'rs_scripted_1',
      type: 'reasoning',
      summary: [],
      encrypted_content: ScriptedResponsesServer.encryptedContent('rs_scripted_1', 'Think.'),
    });
  });

  test('a reasoning item sent back is accepted with its encrypted content, refused altered or, unstored, without it', async () => {
    const client = await clientFor(
      [step.toolCall('bash', { command: 'ls' }, { reasoning: 'List first.' }), step.text('Done.')],
      {
        reasoningModel: true,
      },
    );
    const first = await client.responses.create({
      model: 'o3',
      input: 'Fix it.',
      tools: [bashTool],
      store: false,
      include: ['reasoning.encrypted_content'],
    });
    const reasoning = first.output[0] as ResponseReasoningItem;
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    const followUp = (reasoningItem: ResponseReasoningItem) => ({
      model: 'o3',
      store: false,
      tools: [bashTool],
      input: [
        { role: 'user' as const, content: 'Fix it.' },
        reasoningItem,
        call,
        { type: 'function_call_output' as const, call_id: call.call_id, output: 'a.py' },
      ] satisfies ResponseInputItem[],
    });

    const altered = await refusal(
      client.responses.create(followUp({ ...reasoning, encrypted_content: `x${reasoning.encrypted_content}` })),
    );
    assert.equal(altered.status, 400);
    assert.equal(altered.code, 'invalid_encrypted_content');
    assert.equal(altered.message, '400 The encrypted content for item rs_scripted_0 could not be verified.');

    const missing = await refusal(client.responses.create(followUp({ ...reasoning, encrypted_content: undefined })));
    assert.equal(missing.status, 404);
    assert.equal(missing.param, 'input');
    assert.equal(
      missing.message,
      "404 Item with id 'rs_scripted_0' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.",
    );

    const accepted = await client.responses.create(followUp(reasoning));
    assert.equal(accepted.output_text, 'Done.');
  });

  test('chat-completions parameters and tools are refused as the Responses API refuses them', async () => {
    const client = await clientFor([]);
    const stop = await refusal(client.responses.create({ model: 'gpt-4.1', input: 'Hi.', stop: ['\n'] } as never));
    assert.equal(stop.status, 400);
    assert.equal(stop.message, "400 Unknown parameter: 'stop'.");
    assert.deepEqual([stop.param, stop.code, stop.type], ['stop', 'unknown_parameter', 'invalid_request_error']);

    const chatTool = { type: 'function', function: { name: 'bash', parameters: bashTool.parameters } };
    const nested = await refusal(
      client.responses.create({ model: 'gpt-4.1', input: 'Hi.', tools: [chatTool] } as never),
    );
    assert.equal(nested.message, "400 Missing required parameter: 'tools[0].name'.");
    assert.equal(nested.code, 'missing_required_parameter');
    assert.equal(server!.remaining, 0, 'no refused request used a step');
  });

  test('a function tool is strict unless it says otherwise, so a loose schema is refused', async () => {
    const client = await clientFor([step.text('Fine.')]);
    const loose = { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] };
    const refused = await refusal(
      client.responses.create({
        model: 'gpt-4.1',
        input: 'Hi.',
        tools: [{ type: 'function', name: 'bash', parameters: loose }],
      } as never),
    );
    assert.equal(
      refused.message,
      "400 Invalid schema for function 'bash': In context=(), 'additionalProperties' is required to be supplied and to be false.",
    );
    assert.deepEqual([refused.param, refused.code], ['tools[0].parameters', 'invalid_function_parameters']);

    const accepted = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Hi.',
      tools: [{ type: 'function', name: 'bash', parameters: loose, strict: false }],
    });
    assert.equal(accepted.output_text, 'Fine.');
  });

  test('a function call output with no call before it, and sampling on a reasoning model, are refused', async () => {
    const client = await clientFor([], { reasoningModel: true });
    const orphan = await refusal(
      client.responses.create({
        model: 'o3',
        input: [{ type: 'function_call_output', call_id: 'call_lost', output: 'ok' }],
      }),
    );
    assert.equal(orphan.message, '400 No tool call found for function call output with call_id call_lost.');
    assert.equal(orphan.param, 'input');

    const sampled = await refusal(client.responses.create({ model: 'o3', input: 'Hi.', temperature: 0.2 }));
    assert.equal(sampled.message, "400 Unsupported parameter: 'temperature' is not supported with this model.");
    assert.deepEqual([sampled.param, sampled.code], ['temperature', 'unsupported_parameter']);
  });

  test('a long prompt repeated is partly cached, and one past the context window is refused', async () => {
    const client = await clientFor([step.text('One.'), step.text('Two.')], { contextWindow: 2000 });
    const long = 'x'.repeat(6000);
    const first = await client.responses.create({ model: 'gpt-4.1', instructions: long, input: 'First.' });
    const second = await client.responses.create({ model: 'gpt-4.1', instructions: long, input: 'Second.' });
    assert.equal(first.usage?.input_tokens_details.cached_tokens, 0);
    assert.equal(second.usage?.input_tokens_details.cached_tokens, 1408, 'the shared prefix, in 128-token steps');

    const tooLong = await refusal(client.responses.create({ model: 'gpt-4.1', input: 'y'.repeat(8001) }));
    assert.equal(
      tooLong.message,
      '400 Your input exceeds the context window of this model. Please adjust your input and try again.',
    );
    assert.equal(tooLong.code, 'context_length_exceeded');
  });

  test('a wrong key gets a 401 quoting it, and a scripted 429 comes back as OpenAI rate-limits', async () => {
    const client = await clientFor([step.httpError(429, { message: 'Rate limit reached.' })]);
    const wrongKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: server!.baseURL, maxRetries: 0 });
    const unauthorized = await refusal(wrongKey.responses.create({ model: 'gpt-4.1', input: 'Hi.' }));
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.message, '401 Incorrect API key provided: sk-wrong.');
    assert.equal(unauthorized.code, 'invalid_api_key');

    const limited = await refusal(client.responses.create({ model: 'gpt-4.1', input: 'Hi.' }));
    assert.equal(limited.status, 429);
    assert.deepEqual([limited.type, limited.code], ['requests', 'rate_limit_exceeded']);
  });
});
