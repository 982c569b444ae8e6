/**
 * Each OpenAI-compatible server family through the policy that speaks to it, against a test double of that
 * server's real wire format and documented behaviour (test/support): what the policy asks the server, reads
 * back, records and refuses to retry.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSettings } from '../../../src/core/agent/policies/modelSettings';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OllamaPolicy } from '../../../src/core/agent/policies/ollamaPolicy';
import { OpenAIPolicy, toWireMessage, type OpenAIPolicyOptions } from '../../../src/core/agent/policies/openaiPolicy';
import {
  PolicyError,
  type ChatMessage,
  type PolicyResponse,
  type ReplyDelta,
} from '../../../src/core/agent/policies/policy';
import { createPolicy } from '../../../src/core/agent/policies/policySpec';
import { protocolPolicy } from '../../../src/core/agent/protocols/index';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { DEEPSEEK_REASONING_REFUSAL, DeepSeekServer } from '../../support/deepSeekServer';
import { GEMINI_MISSING_SIGNATURE, GeminiServer, googleExtension, thoughtSignature } from '../../support/geminiServer';
import { GroqServer } from '../../support/groqServer';
import { knownQuirk, type QuirkName } from '../../../src/core/agent/policies/serverErrors';
import {
  ASSISTANT_BETWEEN_TOOL_AND_USER,
  messagesAsSent,
  NO_RESPONSE,
  withAssistantAfterTools,
} from '../../../src/core/agent/policies/requestAsSent';
import { MistralServer, mistralRefusal, type MistralMessage } from '../../support/mistralServer';
import { parseTextToolCalls, textCallId } from '../../../src/core/agent/textToolCalls';
import { LlamaCppServer } from '../../support/llamaCppServer';
import { LmStudioServer } from '../../support/lmStudioServer';
import { OllamaServer } from '../../support/ollamaServer';
import { ScriptedOpenAIServer } from '../../support/scriptedOpenAIServer';
import { converse } from '../../support/converse';
import { step } from '../../support/scriptedServer';
import { SglangServer } from '../../support/sglangServer';
import { TgiServer, type TgiServerOptions } from '../../support/tgiServer';
import { TogetherServer } from '../../support/togetherServer';
import { VllmServer, type VllmErrorShape, type VllmReasoningNames } from '../../support/vllmServer';

const KEY = 'sk-test-0123456789abcdef';
const messages: ChatMessage[] = [
  { role: 'system', content: 'You fix bugs.' },
  { role: 'user', content: 'Fix the rounding bug.' },
];
const tools = new Toolbox([bashTool(), submitTool()]).definitions;
const fastRetry = { baseDelayMs: 5, maxDelayMs: 50 };
const closers: { close(): Promise<void> }[] = [];
after(async () => Promise.all(closers.map((server) => server.close())));

function track<T extends { close(): Promise<void> }>(server: T): T {
  closers.push(server);
  return server;
}

function openai(baseURL: string, model: string, options: Partial<OpenAIPolicyOptions> = {}) {
  return new OpenAIPolicy({ model, baseURL, apiKey: KEY, retry: fastRetry, ...options });
}

/**
 * A server that answers model calls with streams as a server was seen to send them (what the family's double
 * does not do): the n-th request the n-th stream (the last one again after that), as SSE (each event a
 * `data:` line, then `data: [DONE]`), as Ollama's NDJSON (one object a line), or as one JSON body (a 200).
 */
async function replayingServer(
  format: 'sse' | 'ndjson' | 'json',
  ...streams: unknown[][]
): Promise<{ baseURL: string; origin: string; requests(): number }> {
  let served = 0;
  const server = createServer((request, response) => {
    request.resume().on('end', () => {
      const events = streams[Math.min(served++, streams.length - 1)];
      if (format === 'json') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(events[0]));
        return;
      }
      if (format === 'ndjson') {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.end(events.map((line) => `${JSON.stringify(line)}\n`).join(''));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
      response.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const origin = `http://127.0.0.1:${port}`;
  return { origin, baseURL: `${origin}/v1`, requests: () => served };
}

/** A chat.completion.chunk of one choice. */
function chunkOf(model: string, delta: Record<string, unknown>, finishReason: string | null = null) {
  return {
    id: 'chatcmpl-311',
    object: 'chat.completion.chunk',
    created: 1_775_700_000,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/**
 * Asks a server whose first answer is the stream `failed` (as a server was seen to send it) and whose second is a
 * whole reply: the failure must be retried once, never taken for the answer.
 */
async function assertRetriedAfterFailedStream(model: string, failed: unknown[]): Promise<void> {
  const server = await replayingServer('sse', failed, [
    chunkOf(model, { role: 'assistant', content: 'Done.' }),
    chunkOf(model, {}, 'stop'),
  ]);
  const response = await openai(server.baseURL, model).next({ messages, tools });
  assert.deepEqual([response.message.content, response.retries, server.requests()], ['Done.', 1, 2]);
}

const long = (tokens: number): ChatMessage[] => [...messages, { role: 'user', content: 'y'.repeat(tokens * 4) }];

describe('OpenAI (test double of the real wire format)', () => {
  test('OpenAI: every sampling knob goes out as OpenAI names it, and the run records it', async () => {
    const server = track(await ScriptedOpenAIServer.start([step.text('ok')], { apiKey: KEY }));
    const policy = openai(server.baseURL, 'gpt-4o-mini', {
      settings: { temperature: 0.3, topP: 0.8, maxTokens: 300, seed: 11, stop: ['</done>'] },
    });
    await policy.next({ messages, tools });
    const body = server.completionRequests[0].body!;
    assert.deepEqual(
      [body.temperature, body.top_p, body.max_tokens, body.seed, body.stop, body.stream, body.stream_options],
      [0.3, 0.8, 300, 11, ['</done>'], true, { include_usage: true }],
    );
    assert.deepEqual(policy.info.parameters, {
      temperature: 0.3,
      top_p: 0.8,
      seed: 11,
      max_tokens: 300,
      stop: ['</done>'],
    });
  });

  test('OpenAI: a streamed reply arrives piece by piece; usage, cached tokens and system_fingerprint are read from the chunks', async () => {
    const server = track(await ScriptedOpenAIServer.start([], { apiKey: KEY }));
    const policy = openai(server.baseURL, 'gpt-4o');
    const deltas: ReplyDelta[] = [];
    const context = long(2000);
    server.push(step.toolCall('bash', { command: 'ls' }, { content: 'Listing the files.' }));
    const first = await policy.next({ messages: context, tools, onDelta: (delta) => deltas.push(delta) });
    assert.equal(
      deltas
        .filter((delta) => delta.kind === 'content')
        .map((delta) => (delta as { text: string }).text)
        .join(''),
      'Listing the files.',
    );
    assert.deepEqual(first.message.tool_calls?.[0].function, { name: 'bash', arguments: '{"command":"ls"}' });
    assert.equal(first.systemFingerprint, 'fp_scripted0');
    assert.equal(first.model, 'gpt-4o');
    assert.equal(first.usage.cachedPromptTokens, undefined, 'nothing cached on the first request');
    server.push(step.text('Done.'));
    const second = await policy.next({
      messages: [
        ...context,
        first.message,
        { role: 'tool', tool_call_id: first.message.tool_calls![0].id, content: 'a.py' },
      ],
      tools,
    });
    assert.ok(
      (second.usage.cachedPromptTokens ?? 0) >= 1024 && (second.usage.cachedPromptTokens ?? 0) % 128 === 0,
      String(second.usage.cachedPromptTokens),
    );
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    const { promptTokens, completionTokens, cachedPromptTokens = 0 } = second.usage;
    assert.ok(
      Math.abs(
        second.cost! -
          ((promptTokens - cachedPromptTokens) * 2.5 + cachedPromptTokens * 1.25 + completionTokens * 10) / 1e6,
      ) < 1e-12,
    );
  });

  test('OpenAI: 429 waits what Retry-After says, then retries', async () => {
    const server = track(
      await ScriptedOpenAIServer.start(
        [
          step.httpError(429, { message: 'Rate limit reached for gpt-4o', headers: { 'retry-after': '0.05' } }),
          step.text('ok'),
        ],
        { apiKey: KEY },
      ),
    );
    const started = performance.now();
    const response = await openai(server.baseURL, 'gpt-4o', { retry: { baseDelayMs: 5000 } }).next({ messages, tools });
    assert.equal(response.retries, 1);
    assert.ok(performance.now() - started < 4000, 'the server-given wait, not the 5 s backoff');
  });

  test('OpenAI: 429 insufficient_quota is not retried and says what to do', async () => {
    const server = track(
      await ScriptedOpenAIServer.start(
        [
          step.httpError(429, {
            message: 'You exceeded your current quota, please check your plan and billing details.',
            code: 'insufficient_quota',
          }),
        ],
        { apiKey: KEY },
      ),
    );
    const error = await openai(server.baseURL, 'gpt-4o')
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.quirk, 'openai-quota');
    assert.match(error.message, /fix: the account is out of credit/);
    assert.equal(server.completionRequests.length, 1);
  });

  test('OpenAI: a model served only through the Responses API is refused on Chat Completions, not retried, and says what to do', async () => {
    const server = track(
      await ScriptedOpenAIServer.start(
        [
          step.httpError(404, {
            message: 'This model is only supported in v1/responses and not in v1/chat/completions.',
          }),
        ],
        { apiKey: KEY },
      ),
    );
    const error = await openai(server.baseURL, 'gpt-5-codex')
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.quirk, 'responses-api-only');
    assert.equal(error.retryable, false);
    assert.match(error.message, /fix: this model is served only through OpenAI's Responses API/);
    assert.equal(server.completionRequests.length, 1);
  });

  test('OpenAI: a reset connection and 5xx retry with backoff, then end as a retryable PolicyError', async () => {
    const server = track(
      await ScriptedOpenAIServer.start([step.reset(), step.httpError(503), step.text('back')], { apiKey: KEY }),
    );
    const response = await openai(server.baseURL, 'gpt-4o').next({ messages, tools });
    assert.deepEqual([response.message.content, response.retries], ['back', 2]);
    server.push(step.reset(), step.reset(), step.reset());
    const error = await openai(server.baseURL, 'gpt-4o', { retry: { ...fastRetry, maxRetries: 2 } })
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError && error.retryable, String(error));
    assert.match(error.message, /gave up after 3 attempts/);
  });

  test('OpenAI: a server_error sent inside the stream, after its 200, is retried as the 500 it stands for', async () => {
    await assertRetriedAfterFailedStream('gpt-4o', [
      chunkOf('gpt-4o', { role: 'assistant', content: '' }),
      {
        error: {
          message: 'The server had an error while processing your request. Sorry about that!',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    ]);
  });

  test("OpenRouter: an error mid-stream (its docs' unified chunk: code server_error, finish_reason error) is retried as the 500 it stands for", async () => {
    const model = 'openai/gpt-4o';
    await assertRetriedAfterFailedStream(model, [
      chunkOf(model, { role: 'assistant', content: 'Half an ans' }),
      {
        ...chunkOf(model, { content: '' }, 'error'),
        provider: 'openai',
        error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
      },
    ]);
  });

  test('LiteLLM proxy: an error mid-stream, its code a string ("500", as its ProxyException writes every code), is retried as that status', async () => {
    const model = 'gpt-4o';
    await assertRetriedAfterFailedStream(model, [
      chunkOf(model, { role: 'assistant', content: 'Half an ans' }),
      {
        error: {
          message: 'litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.',
          type: 'None',
          param: 'None',
          code: '500',
        },
      },
    ]);
  });

  test("OpenRouter: an error in a 200's body, where the completion should be (a generation that failed once started), is retried as its code", async () => {
    const model = 'openai/gpt-4o';
    const failed = { error: { code: 502, message: 'Provider returned error', metadata: { provider_name: 'OpenAI' } } };
    const done = { id: 'gen-1', object: 'chat.completion', created: 1, model, choices: [] as unknown[] };
    done.choices.push({ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' });
    const server = await replayingServer('json', [failed], [done]);
    const response = await openai(server.baseURL, model, { settings: { stream: false } }).next({ messages, tools });
    assert.deepEqual([response.message.content, response.retries, server.requests()], ['Done.', 1, 2]);
  });

  test('OpenRouter: a choice that ends with finish_reason "error" (its normalised reason for a failed generation) is retried, never a reply', async () => {
    const model = 'openai/gpt-4o';
    await assertRetriedAfterFailedStream(model, [
      chunkOf(model, { role: 'assistant', content: 'Half an ans' }),
      chunkOf(model, {}, 'error'),
    ]);
  });

  test("a refusal of logprobs (OpenAI's reasoning models, 403; Gemini, 400) is final and says to run without --logprobs", async () => {
    const openAI = track(
      await ScriptedOpenAIServer.start([
        step.httpError(403, { message: 'You are not allowed to request logprobs from this model' }),
      ]),
    );
    const gemini = track(
      await GeminiServer.start([step.httpError(400, { message: 'Logprobs is not enabled for models/gemini-2.5-pro' })]),
    );
    for (const [server, model] of [
      [openAI, 'o4-mini'],
      [gemini, 'gemini-2.5-pro'],
    ] as const) {
      const error = await openai(server.baseURL, model, { settings: { logprobs: true } })
        .next({ messages, tools })
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError && !error.retryable, String(error));
      assert.match(error.message, /fix: this model returns no log-probabilities: run it without --logprobs/);
      assert.equal(server.completionRequests.length, 1);
    }
  });

  test('OpenAI: the judge and simulated user ask at temperature 0, but gpt-5 and the o-series, which refuse any but 1, at their default', async () => {
    const server = track(await ScriptedOpenAIServer.start([], { respond: () => step.text('ok') }));
    const temperatureSent = async (model: string) => {
      await (await protocolPolicy(`openai:${model}@${server.baseURL}`)).next({ messages, tools });
      return server.completionRequests.at(-1)?.body?.temperature;
    };
    for (const model of ['gpt-5', 'gpt-5-mini-2025-08-07', 'openai/o4-mini', 'o3'])
      assert.equal(await temperatureSent(model), undefined, model);
    for (const model of ['gpt-4o', 'gpt-5-chat-latest', 'qwen2.5-coder:7b'])
      assert.equal(await temperatureSent(model), 0, model);
  });

  test('OpenAI: context_length_exceeded is read as an overflow with the sizes, never retried', async () => {
    const server = track(await ScriptedOpenAIServer.start([], { apiKey: KEY, contextWindow: 1000 }));
    const error = await openai(server.baseURL, 'gpt-4o')
      .next({ messages: long(2000), tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.overflow?.limit, 1000);
    assert.ok((error.overflow?.promptTokens ?? 0) > 2000);
    assert.equal(server.completionRequests.length, 1);
  });

  test('OpenAI: an empty reply is never sent back as content null; harness fields never reach the server', async () => {
    const server = track(await ScriptedOpenAIServer.start([step.text(''), step.text('ok')], { apiKey: KEY }));
    const policy = openai(server.baseURL, 'gpt-4o', { settings: { stream: false } });
    const empty = await policy.next({ messages, tools });
    assert.deepEqual(empty.message, { role: 'assistant', content: '' });
    await policy.next({
      messages: [
        ...messages,
        { ...empty.message, extra: { thinking_blocks: [] } },
        { role: 'user', content: 'Go on.' },
      ],
      tools,
    });
    const sent = server.completionRequests[1].body!.messages as Record<string, unknown>[];
    assert.deepEqual(sent[2], { role: 'assistant', content: '' });
  });

  for (const stream of [true, false])
    test(`OpenAI (${stream ? 'streamed' : 'not streamed'}): a server that returns no reasoning gets the requests it always got, byte for byte`, async () => {
      const server = track(
        await ScriptedOpenAIServer.start([step.toolCall('bash', { command: 'ls' }), step.text('Done.')], {
          apiKey: KEY,
        }),
      );
      await converse(openai(server.baseURL, 'gpt-4o', { settings: { stream } }), messages, tools);
      const expected = {
        model: 'gpt-4o',
        messages: [
          ...messages,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_0_0', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_0_0', content: 'ok' },
        ],
        tools,
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
      };
      assert.equal(JSON.stringify(server.completionRequests[1].body), JSON.stringify(expected));
    });

  test('OpenAI: the context window comes from the model table, with its source; prices from the table or the flags', async () => {
    const policy = new OpenAIPolicy({ model: 'gpt-4.1-mini-2025-04-14', apiKey: KEY });
    assert.equal(policy.info.contextWindow?.tokens, 1047576);
    assert.deepEqual(
      [policy.info.prices?.input, policy.info.prices?.cachedInput, policy.info.prices?.output],
      [0.4, 0.1, 1.6],
    );
    const custom = new OpenAIPolicy({
      model: 'my-finetune',
      apiKey: KEY,
      settings: { priceInput: 1, priceOutput: 2, contextWindow: 16384 },
    });
    assert.deepEqual(
      [custom.info.prices?.input, custom.info.prices?.output, custom.info.contextWindow?.tokens],
      [1, 2, 16384],
    );
    assert.throws(
      () => new OpenAIPolicy({ model: 'my-finetune', apiKey: KEY, settings: { priceInput: 1 } }),
      /--price-output is needed too/,
    );
    assert.throws(
      () => new OpenAIPolicy({ model: 'gpt-4o', apiKey: KEY, settings: { numCtx: 8192 } }),
      /use the policy ollama:MODEL/,
    );
  });
});

describe('vLLM (test double of the real wire format)', () => {
  test('vLLM and SGLang: a reply ended with finish_reason "abort" (a request the server aborted, as when it pauses for a weight update) is retried, streamed or not, never a reply', async () => {
    const model = 'Qwen/Qwen2.5-Coder-7B-Instruct';
    await assertRetriedAfterFailedStream(model, [
      chunkOf(model, { role: 'assistant', content: 'The bug is in paginator.py: page_count sho' }),
      chunkOf(model, {}, 'abort'),
    ]);
    const aborted = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model, choices: [] as unknown[] };
    aborted.choices.push({ index: 0, message: { role: 'assistant', content: 'Half' }, finish_reason: 'abort' });
    const done = {
      ...aborted,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }],
    };
    const server = await replayingServer('json', [aborted], [done]);
    const response = await openai(server.baseURL, model, { settings: { stream: false } }).next({ messages, tools });
    assert.deepEqual([response.message.content, response.retries, server.requests()], ['Done.', 1, 2]);
  });

  test('vLLM: the context window is read from /v1/models max_model_len', async () => {
    const server = track(await VllmServer.start([], { model: 'Qwen/Qwen2.5-Coder-7B-Instruct', maxModelLen: 32768 }));
    const policy = await createPolicy(`openai:Qwen/Qwen2.5-Coder-7B-Instruct@${server.baseURL}`, { env: {} });
    assert.deepEqual(policy.info.contextWindow, { tokens: 32768, source: 'vLLM /v1/models max_model_len' });
    assert.equal(policy.info.server, 'vllm');
  });

  for (const errorShape of ['nested', 'flat'] as VllmErrorShape[]) {
    const release = errorShape === 'flat' ? 'vLLM before 0.10.1 (flat error bodies, as SGLang sends them)' : 'vLLM';
    test(`${release}: tools without a tool parser is a 400 that names the flags, asked once`, async () => {
      const server = track(await VllmServer.start([step.text('never')], { toolParser: false, errorShape }));
      const error = await openai(server.baseURL, 'scripted-model')
        .next({ messages, tools })
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError);
      assert.equal(error.status, 400);
      assert.equal(error.quirk, 'vllm-tool-parser');
      assert.match(error.message, /"auto" tool choice requires --enable-auto-tool-choice/, "the server's words");
      assert.match(error.message, /--enable-auto-tool-choice --tool-call-parser hermes/);
      assert.equal(server.completionRequests.length, 1);
    });

    test(`${release}: a prompt past max_model_len is an overflow with the limit and the prompt size`, async () => {
      const server = track(await VllmServer.start([], { maxModelLen: 4096, errorShape }));
      const error = await openai(server.baseURL, 'scripted-model', { settings: { maxTokens: 512 } })
        .next({ messages: long(5000), tools })
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError);
      assert.equal(error.overflow?.limit, 4096);
      assert.ok((error.overflow?.promptTokens ?? 0) > 5000);
    });
  }

  for (const names of ['before-rename', 'deprecation', 'current'] as VllmReasoningNames[])
    test(`vLLM (${names} reasoning field names): reasoning is read once from replies and streams, and sent back once, in the field it came in`, async () => {
      const server = track(
        await VllmServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
            step.text('Fixed.', { reasoning: 'They pass now.' }),
            step.text('You are welcome.'),
          ],
          { reasoningNames: names },
        ),
      );
      const streamed: ReplyDelta[] = [];
      const first = await openai(server.baseURL, 'scripted-model').next({
        messages,
        tools,
        onDelta: (delta) => streamed.push(delta),
      });
      assert.equal(first.reasoning, 'Run the tests first.');
      assert.equal(
        streamed
          .filter((delta) => delta.kind === 'reasoning')
          .map((delta) => (delta as { text: string }).text)
          .join(''),
        'Run the tests first.',
      );
      const conversation: ChatMessage[] = [
        ...messages,
        first.message,
        { role: 'tool', tool_call_id: first.message.tool_calls![0].id, content: 'ok' },
      ];
      const notStreamed = openai(server.baseURL, 'scripted-model', { settings: { stream: false } });
      const second = await notStreamed.next({ messages: conversation, tools });
      assert.equal(second.reasoning, 'They pass now.');
      await notStreamed.next({
        messages: [...conversation, second.message, { role: 'user', content: 'Thanks.' }],
        tools,
      });
      // During the rename vLLM sent both names and read either: the old one goes back, as before it.
      const [field, other] =
        names === 'current' ? ['reasoning', 'reasoning_content'] : ['reasoning_content', 'reasoning'];
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.deepEqual([sent[2][field], sent[4][field]], ['Run the tests first.', 'They pass now.']);
      assert.ok(!(other in sent[2]) && !(other in sent[4]), 'in one field, not both');
    });

  for (const stream of [true, false])
    test(`vLLM without --reasoning-parser (${stream ? 'streamed' : 'not streamed'}): the reasoning a model wrote in its text is read apart, as vLLM's parser reads it, and the reply goes back as it came`, async () => {
      const server = track(
        await VllmServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
            step.text('Fixed.', { reasoning: 'They pass now.' }),
            step.text('You are welcome.'),
          ],
          { reasoningParser: false },
        ),
      );
      const policy = openai(server.baseURL, 'Qwen/Qwen3-8B', { settings: { stream } });
      const streamed: ReplyDelta[] = [];
      const { conversation, replies } = await converse(policy, messages, tools, (delta) => streamed.push(delta));
      const shownAsReasoning = streamed.flatMap((delta) => (delta.kind === 'reasoning' ? [delta.text] : []));
      assert.equal(shownAsReasoning.join(''), stream ? '\nRun the tests first.\n\nThey pass now.\n' : '');
      replies.push(await policy.next({ messages: [...conversation, { role: 'user', content: 'Thanks.' }], tools }));
      assert.deepEqual(
        replies.map((reply) => [reply.reasoning, reply.message.content]),
        [
          ['\nRun the tests first.\n', '\n\n'],
          ['\nThey pass now.\n', '\n\nFixed.'],
          [undefined, 'You are welcome.'],
        ],
      );
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.deepEqual(
        sent.filter((message) => message.role === 'assistant'),
        [
          {
            role: 'assistant',
            content: '<think>\nRun the tests first.\n</think>\n\n',
            tool_calls: replies[0].message.tool_calls,
          },
          { role: 'assistant', content: '<think>\nThey pass now.\n</think>\n\nFixed.' },
        ],
        'as the server returned them, the reasoning in no field',
      );
    });

  test('vLLM: token ids of the prompt and the reply come back streamed (return_token_ids)', async () => {
    const server = track(
      await VllmServer.start([step.text('Done', { tokenIds: { prompt: [1, 2, 3], completion: [42, 7] } })]),
    );
    const response = await openai(server.baseURL, 'scripted-model', { settings: { tokenIds: true } }).next({
      messages,
      tools,
    });
    assert.deepEqual(response.tokenIds, { prompt: [1, 2, 3], completion: [42, 7] });
  });
});

describe('SGLang (test double of the real wire format)', () => {
  test('SGLang: the server and its context length are read from /v1/models (owned_by "sglang", max_model_len)', async () => {
    const server = track(
      await SglangServer.start([], { model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct', contextLength: 65536 }),
    );
    const policy = await createPolicy(`openai:Qwen/Qwen3-Coder-30B-A3B-Instruct@${server.baseURL}`, { env: {} });
    assert.deepEqual(
      [policy.info.server, policy.info.contextWindow],
      ['sglang', { tokens: 65536, source: 'SGLang /v1/models max_model_len' }],
    );
  });

  test('SGLang: a prompt past the context length is an overflow with the limit and the prompt size, read from its flat error body', async () => {
    const server = track(await SglangServer.start([step.text('never')], { contextLength: 4096 }));
    const error = await openai(server.baseURL, 'scripted-model', { settings: { maxTokens: 512 } })
      .next({ messages: long(5000), tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.deepEqual([error.status, error.overflow?.limit], [400, 4096]);
    assert.ok((error.overflow?.promptTokens ?? 0) > 5000);
    assert.equal(server.completionRequests.length, 1);
  });
});

describe('Hugging Face text-generation-inference (TGI) (test double of the real wire format)', () => {
  const MODEL = 'Qwen/Qwen2.5-Coder-7B-Instruct';

  test('TGI: the server and its context window are read from /info (max_total_tokens)', async () => {
    const server = track(await TgiServer.start([], { maxTotalTokens: 8192 }));
    const policy = await createPolicy(`openai:${MODEL}@${server.baseURL}`, { env: {} });
    assert.deepEqual(
      [policy.info.server, policy.info.contextWindow],
      ['tgi', { tokens: 8192, source: 'TGI /info max_total_tokens' }],
    );
  });

  const overflows: [name: string, options: TgiServerOptions, maxTokens: number | undefined, limit: number][] = [
    ['a prompt plus max_tokens past max_total_tokens', { maxTotalTokens: 4096 }, 512, 4096],
    ['a prompt past max_total_tokens, no max_tokens', { maxTotalTokens: 4096 }, undefined, 4096],
    ['a prompt past max_input_tokens', { maxTotalTokens: 8192, maxInputTokens: 2048 }, undefined, 2048],
  ];
  for (const [name, options, maxTokens, limit] of overflows)
    for (const stream of [true, false])
      test(`TGI (${stream ? 'streamed: an event after the 200' : 'not streamed'}): ${name} is a 422 read as an overflow with the limit and the prompt size, in TGI's words, never retried`, async () => {
        const server = track(await TgiServer.start([step.text('never')], options));
        const error = await openai(server.baseURL, MODEL, { settings: { maxTokens, stream } })
          .next({ messages: long(5000), tools })
          .catch((caught: unknown) => caught);
        assert.ok(error instanceof PolicyError);
        assert.deepEqual([error.status, error.retryable, error.overflow?.limit], [422, false, limit]);
        assert.ok((error.overflow?.promptTokens ?? 0) > 5000);
        assert.match(
          error.message,
          / Input validation error: `inputs`/,
          "the server's words, not a JSON string of them",
        );
        assert.equal(server.completionRequests.length, 1);
      });

  for (const stream of [true, false])
    test(`TGI (${stream ? 'streamed: events after the 200 that say 422' : 'not streamed: a 424 and a 429'}): a failure during generation and an overloaded router are retried, then the reply comes`, async () => {
      const server = track(
        await TgiServer.start([
          step.httpError(424, {
            message: 'Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB',
          }),
          step.httpError(429, { message: 'Model is overloaded' }),
          step.text('Fixed.'),
        ]),
      );
      const response = await openai(server.baseURL, MODEL, { settings: { stream } }).next({ messages, tools });
      assert.deepEqual([response.message.content, response.retries], ['Fixed.', 2]);
    });

  for (const stream of [true, false])
    test(`TGI (${stream ? 'streamed' : 'not streamed'}): a call comes without content, with ${stream ? 'the next integer id' : 'the id "0" every time'}; the conversation goes on`, async () => {
      const server = track(
        await TgiServer.start([
          step.toolCall('bash', { command: 'ls' }),
          step.toolCall('bash', { command: 'pytest' }),
          step.text('Fixed.'),
        ]),
      );
      const { replies } = await converse(openai(server.baseURL, MODEL, { settings: { stream } }), messages, tools);
      assert.deepEqual(
        replies.map((reply) => [reply.message.content, reply.message.tool_calls?.map((call) => call.id)]),
        [
          [null, ['0']],
          [null, [stream ? '1' : '0']],
          ['Fixed.', undefined],
        ],
      );
      assert.equal(replies[0].message.tool_calls?.[0].function.arguments, '{"command":"ls"}');
      assert.equal(server.completionRequests.length, 3);
    });
});

describe('servers that return the reasoning a model writes in its text (test doubles of the real wire formats)', () => {
  const reply = [step.text('Fixed.', { reasoning: 'The sign was wrong.' }), step.text('Welcome.')];
  const families: [name: string, start: () => Promise<ScriptedOpenAIServer>][] = [
    ['TGI (no reasoning parser)', () => TgiServer.start(reply)],
    ['SGLang without --reasoning-parser', () => SglangServer.start(reply)],
    ['llama.cpp --reasoning-format none', () => LlamaCppServer.start(reply, { reasoningFormat: 'none' })],
  ];
  for (const [family, start] of families)
    for (const stream of [true, false])
      test(`${family} (${stream ? 'streamed' : 'not streamed'}): a reasoning model's thought in its text is recorded apart, and goes back in the text`, async () => {
        const server = track(await start());
        const policy = openai(server.baseURL, 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', { settings: { stream } });
        const first = await policy.next({ messages, tools });
        assert.deepEqual([first.reasoning, first.message.content], ['\nThe sign was wrong.\n', '\n\nFixed.']);
        await policy.next({ messages: [...messages, first.message, { role: 'user', content: 'Thanks.' }], tools });
        const sent = server.completionRequests[1].body!.messages as Record<string, unknown>[];
        assert.equal(sent.at(-2)?.content, '<think>\nThe sign was wrong.\n</think>\n\nFixed.');
      });
});

describe('DeepSeek (test double of the thinking-mode wire format)', () => {
  for (const stream of [true, false])
    test(`DeepSeek thinking-mode wire (${stream ? 'streamed' : 'not streamed'}): each turn's reasoning_content goes back on its message, '' included, and the tool-calling conversation goes on`, async () => {
      const server = track(
        await DeepSeekServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
            // Thinking mode with nothing thought: the reply says reasoning_content "".
            step.toolCall('bash', { command: 'cat calc.py' }),
            step.text('Fixed.', { reasoning: 'The sign was wrong.' }),
          ],
          { apiKey: KEY },
        ),
      );
      const policy = openai(server.baseURL, 'deepseek-v4-pro', { settings: { stream } });
      const { conversation, replies } = await converse(policy, messages, tools);
      assert.equal(replies.at(-1)?.message.content, 'Fixed.');
      assert.deepEqual(
        replies.map((reply) => reply.reasoning),
        ['Run the tests first.', undefined, 'The sign was wrong.'],
        "the turn's reasoning is recorded as before",
      );
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.deepEqual(
        sent.filter((message) => message.role === 'assistant').map((message) => message.reasoning_content),
        ['Run the tests first.', ''],
      );
      // The same conversation without the reasoning kept on its messages is what DeepSeek refuses.
      const withoutReasoning = conversation.map((message) =>
        message.role === 'assistant' ? { ...message, extra: undefined } : message,
      );
      const error = await policy.next({ messages: withoutReasoning, tools }).catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError, String(error));
      assert.equal(error.status, 400);
      assert.ok(error.message.includes(DEEPSEEK_REASONING_REFUSAL), error.message);
    });
});

describe('Together AI (test double of the real wire format)', () => {
  test("Together: the context window is the served model's context_length in /v1/models, a bare array of every model", async () => {
    const model = 'Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8';
    const server = track(await TogetherServer.start([], { apiKey: KEY, contextLength: 262144 }));
    const policy = await createPolicy(`openai:${model}@${server.baseURL}`, { env: { OPENAI_API_KEY: KEY } });
    assert.deepEqual(policy.info.contextWindow, { tokens: 262144, source: `/v1/models context_length of ${model}` });
  });
});

describe('Groq (test double of the real wire format)', () => {
  test("Groq: the context window is its model card's context_window in /v1/models", async () => {
    const server = track(await GroqServer.start([], { apiKey: KEY }));
    const policy = await createPolicy(`openai:deepseek-r1-distill-llama-70b@${server.baseURL}`, {
      env: { OPENAI_API_KEY: KEY },
    });
    assert.deepEqual(policy.info.contextWindow, {
      tokens: 131072,
      source: '/v1/models context_window of deepseek-r1-distill-llama-70b',
    });
  });

  test("Groq's wordings of a refused reasoning field are known; other refusals that name reasoning are not", () => {
    for (const said of [
      "'messages.2' : for 'role:assistant' the following must be satisfied[('messages.2' : property 'reasoning_content' is unsupported)]",
      "property 'reasoning' is unsupported",
      'messages[1].reasoning: reasoning is not supported with this model',
    ])
      assert.equal(knownQuirk(said)?.name, 'reasoning-field-refused', said);
    for (const said of ['reasoning_effort is not supported with this model', "Unsupported value: 'reasoning_format'"])
      assert.equal(knownQuirk(said), undefined, said);
  });

  for (const stream of [true, false])
    test(`Groq, a reasoning model whose requests take no reasoning field (karthink/gptel#774) (${stream ? 'streamed' : 'not streamed'}): the refusal is worked around once, the request and the later ones go without reasoning, and each reply from then on says so`, async () => {
      const server = track(
        await GroqServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
            step.toolCall('bash', { command: 'cat calc.py' }, { reasoning: 'Read the code.' }),
            step.text('Fixed.', { reasoning: 'The sign was wrong.' }),
          ],
          { apiKey: KEY },
        ),
      );
      const { replies } = await converse(
        openai(server.baseURL, 'deepseek-r1-distill-llama-70b', { settings: { stream } }),
        messages,
        tools,
      );
      assert.equal(replies.at(-1)?.message.content, 'Fixed.');
      assert.deepEqual(
        replies.map((reply) => reply.workarounds),
        [undefined, ['reasoning-field-refused'], ['reasoning-field-refused']],
      );
      const carried = server.completionRequests.map((request) =>
        (request.body!.messages as Record<string, unknown>[]).some((message) => 'reasoning' in message),
      );
      assert.deepEqual(carried, [false, true, false, false], 'refused once, then never sent again');
    });

  test('Groq: two calls sharing a policy (a batch) both refused for reasoning at once are both asked again without it', async () => {
    const server = track(await GroqServer.start([step.text('One.'), step.text('Two.')], { apiKey: KEY }));
    const policy = openai(server.baseURL, 'deepseek-r1-distill-llama-70b', { settings: { stream: false } });
    const earlier: ChatMessage = {
      role: 'assistant',
      content: 'Looking.',
      extra: { reasoning_sent_back: { field: 'reasoning', text: 'Read the code.' } },
    };
    const conversation = [...messages, earlier, { role: 'user' as const, content: 'Go on.' }];
    const replies = await Promise.all([0, 1].map(() => policy.next({ messages: conversation, tools })));
    assert.deepEqual(replies.map((reply) => reply.message.content).sort(), ['One.', 'Two.']);
    const carried = server.completionRequests.map((request) =>
      (request.body!.messages as Record<string, unknown>[]).some((message) => 'reasoning' in message),
    );
    assert.deepEqual(carried, [true, true, false, false], 'both refused at once, then both sent without');
  });
});

describe('Gemini 3 (test double of the OpenAI-compatible wire format)', () => {
  test("Gemini: a refusal says the server's words, read out of the one-element array Gemini wraps its errors in", async () => {
    const server = track(
      await GeminiServer.start([step.httpError(400, { message: 'API key not valid. Please pass a valid API key.' })]),
    );
    const error = await openai(server.baseURL, 'gemini-3-flash-preview')
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError, String(error));
    assert.equal(error.status, 400);
    assert.ok(error.message.includes('API key not valid. Please pass a valid API key.'), error.message);
  });

  test("Gemini: a 429 in OpenAI's out-of-credit words but RESOURCE_EXHAUSTED (a per-minute quota) is retried", async () => {
    const perMinute =
      'You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10 Please retry in 0.5s.';
    const server = track(await GeminiServer.start([step.httpError(429, { message: perMinute }), step.text('Fixed.')]));
    const reply = await openai(server.baseURL, 'gemini-3-flash-preview').next({ messages, tools });
    assert.equal(reply.message.content, 'Fixed.');
    assert.equal(reply.retries, 1);
  });

  for (const stream of [true, false])
    test(`Gemini 3 (${stream ? 'streamed' : 'not streamed'}): each call's thought signature (extra_content) is kept on it and goes back byte for byte, so a tool-calling run goes on`, async () => {
      const server = track(
        await GeminiServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }),
            // Parallel calls: Gemini signs the first only.
            step.toolCalls([
              { name: 'bash', arguments: { command: 'cat calc.py' } },
              { name: 'bash', arguments: { command: 'git diff' } },
            ]),
            step.text('Fixed.'),
          ],
          { apiKey: KEY },
        ),
      );
      const policy = openai(server.baseURL, 'gemini-3-flash-preview', { settings: { stream } });
      const { conversation, replies } = await converse(policy, messages, tools);
      assert.equal(replies.at(-1)?.message.content, 'Fixed.');
      const call = (id: string, command: string, signed: boolean) => {
        const args = JSON.stringify({ command });
        return {
          id,
          type: 'function',
          function: { name: 'bash', arguments: args },
          ...(signed ? { extra_content: googleExtension(thoughtSignature('bash', args)) } : {}),
        };
      };
      const expected = [
        [call('call_0_0', 'pytest', true)],
        [call('call_1_0', 'cat calc.py', true), call('call_1_1', 'git diff', false)],
      ];
      assert.deepEqual(
        replies.slice(0, 2).map((reply) => reply.message.tool_calls),
        expected,
        'kept on the calls as they came',
      );
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.equal(
        JSON.stringify(sent.filter((message) => message.role === 'assistant').map((message) => message.tool_calls)),
        JSON.stringify(expected),
      );
      // The same conversation with the signatures left out is what Gemini refuses.
      const unsigned = conversation.map((message) =>
        message.role === 'assistant' && message.tool_calls
          ? {
              ...message,
              tool_calls: message.tool_calls.map(({ id, type, function: fn }) => ({ id, type, function: fn })),
            }
          : message,
      );
      const error = await policy.next({ messages: unsigned, tools }).catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError, String(error));
      assert.equal(error.status, 400);
      assert.ok(error.message.includes(GEMINI_MISSING_SIGNATURE), error.message);
    });
});

describe("Mistral's chat format (test doubles of Mistral's API and of vLLM serving Mistral models, against mistral_common's own checks)", () => {
  const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'mistral-message-order');
  const read = (file: string) => JSON.parse(readFileSync(join(fixtures, file), 'utf8'));
  const conversations = read('conversations.json') as { name: string; quirk?: QuirkName; messages: ChatMessage[] }[];
  /** mistral_common 1.11.0's validators (base, V3, V5, V13) on each conversation. */
  const validated = read('verdicts.json').verdicts as Record<string, Record<string, string>>;
  /** mistral_common 1.12.0's tokenizers (V3 SentencePiece and Tekken, V7) rendering each conversation. */
  const encoded = read('encoded.json').verdicts as Record<string, Record<string, string>>;
  const [idBefore, idNow] = conversations.slice(-2);
  const sentOnce = (quirk: QuirkName, conversation: ChatMessage[]) => messagesAsSent(conversation, new Set([quirk]));

  test('each conversation marked with a quirk is what the policy sends of the one before once a server showed it', () => {
    const marked = conversations.filter(({ quirk }) => quirk);
    assert.equal(marked.length, 4);
    for (const [index, { name, quirk, messages }] of conversations.entries())
      if (quirk) assert.deepEqual(sentOnce(quirk, conversations[index - 1].messages), messages, name);
  });

  test("the V3 double says what mistral_common 1.11.0's V3 validator said of every conversation, in its words", () => {
    for (const { name, messages } of conversations)
      assert.equal(mistralRefusal(messages, 'v3') ?? 'accepted', validated[name].v3, name);
  });

  test('every validator of mistral_common 1.11.0 and every tokenizer of 1.12.0 takes what the policy sends once refused', () => {
    for (const { name, quirk } of conversations.filter(({ quirk }) => quirk)) {
      for (const [checker, said] of Object.entries(validated[name]))
        assert.equal(said, 'accepted', `${name}: ${checker}`);
      for (const [tokenizer, said] of Object.entries(encoded[name]))
        assert.match(said, /^encoded \(\d+ tokens\)$/, `${name} (${quirk}): ${tokenizer}`);
    }
  });

  test("each refusal of mistral_common's checks names the quirk whose workaround makes the conversation marked after it", () => {
    let refusals = 0;
    for (const [index, { name, messages }] of conversations.entries()) {
      const next = conversations[index + 1];
      if (!next?.quirk) continue;
      for (const [checker, said] of [...Object.entries(validated[name]), ...Object.entries(encoded[name])]) {
        if (said === 'accepted' || said.startsWith('encoded')) continue;
        const quirk = knownQuirk(said)?.name;
        assert.ok(quirk, `${name}: ${checker} said "${said}", which no quirk reads`);
        assert.deepEqual(sentOnce(quirk, messages), next.messages, `${name}: ${checker}`);
        refusals += 1;
      }
    }
    assert.equal(refusals, 17, 'order: 4 validators of 2 conversations; text beside calls: 2 + 2; empty reply: 2 + 3');
  });

  test("the API double says what mistral_common 1.11.0's V13 validator said, but of an empty reply in the API's words", () => {
    for (const { name, messages } of conversations) {
      const empty = messages.some((message) => message.role === 'assistant' && !message.content && !message.tool_calls);
      const expected = empty
        ? 'Assistant message must have either content or tool_calls, but not none.'
        : validated[name].v13;
      assert.equal(mistralRefusal(messages, 'api') ?? 'accepted', expected, name);
    }
  });

  test("the V7 double renders what mistral_common 1.12.0's V7 tokenizer rendered, where 1.11.0's checks took the order", () => {
    for (const { name, messages } of conversations) {
      if (validated[name].v13.startsWith('Unexpected role')) continue;
      const said = encoded[name]['mistral_instruct_tokenizer_241114.model.v7'];
      assert.equal(mistralRefusal(messages, 'v7') ?? 'encoded', said.startsWith('encoded') ? 'encoded' : said, name);
    }
  });

  test("the id the loop gives a call written as text is one Mistral's validators take (V3 on refuse any but 9 letters and digits)", () => {
    assert.equal(validated[idNow.name].v13, 'accepted');
    assert.equal(idNow.messages.find((message) => message.role === 'tool')?.tool_call_id, textCallId(3, 0));
    assert.match(
      validated[idBefore.name].v3,
      /Tool call id was text_3_0 but must be a-z, A-Z, 0-9, with a length of 9/,
    );
    const parsed = parseTextToolCalls('```bash\npytest -q\n```', new Toolbox([bashTool()]).definitions, 3);
    assert.equal(parsed && 'calls' in parsed ? parsed.calls[0].id : undefined, textCallId(3, 0));
  });

  for (const stream of [true, false])
    test(`Mistral's API (${stream ? 'streamed' : 'not streamed'}): a user message right after a tool result is refused once, then sent with an assistant message between, in every later request too, and each reply from then on says so`, async () => {
      const server = track(
        await MistralServer.start([step.toolCall('bash', { command: 'pytest' }), step.text('Fixed.')], {
          apiKey: KEY,
        }),
      );
      const answered = conversations[0].messages;
      const { replies } = await converse(
        openai(server.baseURL, 'devstral-medium-2507', { settings: { stream } }),
        answered,
        tools,
      );
      assert.equal(replies.at(-1)?.message.content, 'Fixed.');
      assert.deepEqual(
        replies.map((reply) => reply.workarounds),
        [['user-after-tool-refused'], ['user-after-tool-refused']],
      );
      const sent = server.completionRequests.map((request) => request.body!.messages as MistralMessage[]);
      assert.equal(sent.length, 3, 'the refused request, asked again, then the next one');
      assert.deepEqual(sent[1], withAssistantAfterTools(sent[0]));
      assert.ok(sent.slice(1).every((messages) => !mistralRefusal(messages)));
      assert.deepEqual(sent[1][answered.length - 1], ASSISTANT_BETWEEN_TOOL_AND_USER);
    });

  test("the refusals of an empty reply are known in each wording: Mistral's API, mistral_common V7 on, AWS Bedrock (through LiteLLM)", () => {
    const wordings = [
      'Assistant message must have either content or tool_calls, but not none.',
      "Invalid assistant message: role='assistant' content='' tool_calls=None prefix=False",
      // OpenHands/OpenHands#5339.
      'BedrockException - {"message":"The text field in the ContentBlock object at messages.28.content.1 is blank. Add text to the text field, and try again."}',
    ];
    for (const said of wordings) assert.equal(knownQuirk(said)?.name, 'empty-assistant-refused', said);
    assert.equal(knownQuirk('The text field is required')?.name, undefined);
  });

  test("Mistral's API: a reply the model left empty is refused at the next request ('but not none'), then sent as (no response) from then on", async () => {
    const server = track(
      await MistralServer.start([step.text('Looking.'), step.text('Still looking.')], { apiKey: KEY }),
    );
    const policy = openai(server.baseURL, 'devstral-medium-2507');
    const empty: ChatMessage[] = [...messages, { role: 'assistant', content: '' }, { role: 'user', content: 'Go on.' }];
    const first = await policy.next({ messages: empty, tools });
    assert.deepEqual([first.message.content, first.workarounds], ['Looking.', ['empty-assistant-refused']]);
    const second = await policy.next({ messages: [...empty, first.message, { role: 'user', content: 'And?' }], tools });
    assert.deepEqual(second.workarounds, ['empty-assistant-refused'], 'sent around it without being refused twice');
    const sent = server.completionRequests.map((request) => request.body!.messages as MistralMessage[]);
    assert.equal(sent.length, 3);
    assert.equal(mistralRefusal(sent[0]), 'Assistant message must have either content or tool_calls, but not none.');
    for (const later of sent.slice(1)) assert.deepEqual(later[2], { role: 'assistant', content: NO_RESPONSE });
  });

  for (const stream of [true, false])
    test(`vLLM serving a tokenizer-V3 Mistral model (${stream ? 'streamed' : 'not streamed'}): a reply with text beside its call is refused at the next request ('but not both'), then its calls go without their text, and an empty reply as (no response)`, async () => {
      const server = track(
        await VllmServer.start(
          [
            step.toolCall('bash', { command: 'pytest' }, { content: 'I will run the tests.' }),
            step.text(''),
            step.text('Fixed.'),
          ],
          { mistralTokenizer: 'v3', model: 'mistralai/Mistral-Nemo-Instruct-2407' },
        ),
      );
      const policy = openai(server.baseURL, 'mistralai/Mistral-Nemo-Instruct-2407', { settings: { stream } });
      const conversation = [...messages];
      const replies: PolicyResponse[] = [];
      for (const next of ['ok', 'Go on.']) {
        const reply = await policy.next({ messages: conversation, tools });
        replies.push(reply);
        conversation.push(reply.message);
        for (const call of reply.message.tool_calls ?? [])
          conversation.push({ role: 'tool', tool_call_id: call.id, content: next });
        if (!reply.message.tool_calls) conversation.push({ role: 'user', content: next });
      }
      replies.push(await policy.next({ messages: conversation, tools }));
      assert.equal(replies[0].message.content, 'I will run the tests.', 'the record keeps the text');
      assert.deepEqual(
        replies.map((reply) => reply.workarounds),
        [undefined, ['assistant-content-and-calls-refused'], ['assistant-content-and-calls-refused']],
      );
      const sent = server.completionRequests.map((request) => request.body!.messages as MistralMessage[]);
      assert.equal(sent.length, 4, 'one refused request, asked again');
      assert.match(mistralRefusal(sent[1], 'v3') ?? '', /but not both/);
      assert.ok(sent.slice(2).every((messages) => !mistralRefusal(messages, 'v3')));
      assert.deepEqual([sent[3][2].content, sent[3][2].tool_calls?.length], [null, 1]);
      assert.deepEqual(sent[3][4], { role: 'assistant', content: NO_RESPONSE });
    });
});

describe('llama.cpp server (test double of the real wire format)', () => {
  test('llama.cpp: the context window is the slot context of /props', async () => {
    const server = track(await LlamaCppServer.start([], { nCtx: 16384 }));
    const policy = await createPolicy(`openai:${'models/qwen2.5-coder-7b-instruct-q4_k_m.gguf'}@${server.baseURL}`, {
      env: {},
    });
    assert.deepEqual([policy.info.server, policy.info.contextWindow?.tokens], ['llama.cpp', 16384]);
    assert.match(policy.info.contextWindow?.source ?? '', /\/props default_generation_settings\.n_ctx/);
  });

  test('llama.cpp: "tools param requires --jinja flag" (a 500) is not retried and names --jinja', async () => {
    const server = track(await LlamaCppServer.start([step.text('never')], { jinja: false }));
    const error = await openai(server.baseURL, 'm')
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.deepEqual([error.status, error.quirk, error.retryable], [500, 'llamacpp-jinja', false]);
    assert.match(error.message, /start llama-server with --jinja/);
    assert.equal(server.completionRequests.length, 1);
  });

  test('llama.cpp: a build that cannot stream tool calls is asked again without streaming, once, and says so', async () => {
    const server = track(await LlamaCppServer.start([step.text('plain')], { streamsToolCalls: false }));
    const policy = openai(server.baseURL, 'm');
    const response = await policy.next({ messages, tools });
    assert.equal(response.message.content, 'plain');
    assert.deepEqual(response.workarounds, ['llamacpp-stream-tools']);
    assert.deepEqual(
      server.completionRequests.map((request) => request.body?.stream),
      [true, false],
    );
    server.push(step.text('again'));
    await policy.next({ messages, tools });
    assert.equal(server.completionRequests[2].body?.stream, false, 'the policy remembers');
  });

  test('llama.cpp: exceed_context_size_error is an overflow with n_prompt_tokens and n_ctx; reasoning_content and cache_n are read', async () => {
    const server = track(await LlamaCppServer.start([step.text('ok', { reasoning: 'thinking' })], { nCtx: 2048 }));
    const error = await openai(server.baseURL, 'm')
      .next({ messages: long(4000), tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.overflow?.limit, 2048);
    assert.ok((error.overflow?.promptTokens ?? 0) > 4000);
    const response = await openai(server.baseURL, 'm', { settings: { stream: false } }).next({ messages, tools });
    assert.equal(response.reasoning, 'thinking');
  });
});

describe('LM Studio (test double of the real wire format)', () => {
  test('LM Studio: the context window is the loaded instance context of /api/v1/models, not the model maximum', async () => {
    const server = track(await LmStudioServer.start([], { loadedContext: 4096, maxContext: 32768 }));
    const policy = await createPolicy(`openai:qwen2.5-coder-7b-instruct@${server.baseURL}`, { env: {} });
    assert.deepEqual([policy.info.server, policy.info.contextWindow?.tokens], ['lmstudio', 4096]);
    const unloaded = track(await LmStudioServer.start([], { loaded: false, maxContext: 32768 }));
    const jit = await createPolicy(`openai:qwen2.5-coder-7b-instruct@${unloaded.baseURL}`, { env: {} });
    assert.equal(jit.info.contextWindow?.tokens, 32768);
    assert.match(jit.info.contextWindow?.source ?? '', /not loaded yet/);
  });

  test('LM Studio 0.3.x (v0 REST API only): the context is the loaded one, read from a one-token v0 completion', async () => {
    const server = track(await LmStudioServer.start([], { release: '0.3', loadedContext: 8192, maxContext: 32768 }));
    const policy = await createPolicy(`openai:qwen2.5-coder-7b-instruct@${server.baseURL}`, { env: {} });
    assert.deepEqual([policy.info.server, policy.info.contextWindow?.tokens], ['lmstudio', 8192]);
    assert.match(policy.info.contextWindow?.source ?? '', /api\/v0\/chat\/completions model_info\.context_length/);
    assert.equal(server.v0CompletionRequests.length, 1);
    assert.equal(server.v0CompletionRequests[0].body?.max_tokens, 1, 'the probe asks for one token');
    assert.equal(server.completionRequests.length, 0, 'the script is untouched');
    // Not loaded: no completion is asked (it would load the model); the maximum stands until the server says.
    const unloaded = track(await LmStudioServer.start([], { release: '0.3', loaded: false, maxContext: 32768 }));
    const jit = await createPolicy(`openai:qwen2.5-coder-7b-instruct@${unloaded.baseURL}`, { env: {} });
    assert.equal(jit.info.contextWindow?.tokens, 32768);
    assert.match(jit.info.contextWindow?.source ?? '', /not loaded yet/);
    assert.equal(unloaded.v0CompletionRequests.length, 0);
  });

  test('LM Studio: "Trying to keep the first N tokens when context the overflows" is an overflow with both sizes', async () => {
    const server = track(await LmStudioServer.start([], { loadedContext: 4096 }));
    const error = await openai(server.baseURL, 'qwen2.5-coder-7b-instruct')
      .next({ messages: long(6000), tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError);
    assert.equal(error.overflow?.limit, 4096);
    assert.ok((error.overflow?.promptTokens ?? 0) > 6000);
  });
});

describe('Ollama (test double of the real wire format)', () => {
  test("Ollama: --num-ctx goes out as options.num_ctx on Ollama's own API, with every sampling knob in its own name", async () => {
    const server = track(await OllamaServer.start([step.toolCall('bash', { command: 'ls' }, { content: 'Looking.' })]));
    const policy = new OllamaPolicy({
      model: 'qwen2.5-coder:7b',
      baseURL: server.origin,
      settings: { numCtx: 16384, temperature: 0.1, topP: 0.9, seed: 3, maxTokens: 700, stop: ['<eot>'] },
      retry: fastRetry,
    });
    const deltas: ReplyDelta[] = [];
    const response = await policy.next({ messages, tools, onDelta: (delta) => deltas.push(delta) });
    const body = server.chatRequests[0].body!;
    assert.deepEqual(body.options, {
      temperature: 0.1,
      top_p: 0.9,
      seed: 3,
      stop: ['<eot>'],
      num_predict: 700,
      num_ctx: 16384,
    });
    assert.equal(body.truncate, false, 'refuse, do not silently cut');
    assert.equal(body.stream, true);
    assert.deepEqual(
      response.message.tool_calls?.map((call) => call.function),
      [{ name: 'bash', arguments: '{"command":"ls"}' }],
    );
    assert.equal(response.message.content, 'Looking.');
    assert.ok(deltas.some((delta) => delta.kind === 'tool_call' && delta.name === 'bash'));
    assert.ok(response.usage.promptTokens > 0);
    assert.deepEqual(policy.info.contextWindow, { tokens: 16384, source: 'Ollama options.num_ctx (--num-ctx)' });
  });

  test("Ollama: --reasoning-effort goes out as Ollama's think (off for none, the level for low to high), others refused", async () => {
    const thinkOf = (reasoningEffort: ModelSettings['reasoningEffort']) =>
      new OllamaPolicy({ model: 'gpt-oss:20b', settings: { reasoningEffort } }).info.parameters.think;
    assert.equal(thinkOf('none'), false);
    assert.equal(thinkOf('high'), 'high');
    assert.equal(thinkOf(undefined), undefined);
    assert.throws(() => thinkOf('xhigh'), /--reasoning-effort xhigh: Ollama's think takes none, low, medium or high/);
  });

  test("Ollama before 0.9 (no `thinking` field): a thinking model's reasoning in its text is read apart and goes back in the text", async () => {
    const server = track(
      await OllamaServer.start([
        step.toolCall('bash', { command: 'ls' }, { content: '<think>\nList the files.\n</think>\n\n' }),
        step.text('Done.'),
      ]),
    );
    const policy = new OllamaPolicy({ model: 'deepseek-r1:8b', baseURL: server.origin, retry: fastRetry });
    const { replies } = await converse(policy, messages, tools);
    assert.deepEqual([replies[0].reasoning, replies[0].message.content], ['\nList the files.\n', '\n\n']);
    const sent = server.chatRequests[1].body!.messages as Record<string, unknown>[];
    const reply = sent.find((message) => message.role === 'assistant')!;
    assert.equal(reply.content, '<think>\nList the files.\n</think>\n\n');
    assert.ok(!('thinking' in reply), 'in no field');
  });

  test("Ollama: without --num-ctx the window is the Modelfile's num_ctx, else the loaded context, else Ollama's default", async () => {
    const modelfile = track(await OllamaServer.start([], { modelfileNumCtx: 8192 }));
    const fromModelfile = await createPolicy(`ollama:qwen2.5-coder:7b@${modelfile.origin}`);
    assert.deepEqual(fromModelfile.info.contextWindow, { tokens: 8192, source: 'Ollama /api/show parameters num_ctx' });
    const plain = track(await OllamaServer.start([step.text('hi')]));
    const fresh = await createPolicy(`ollama:qwen2.5-coder:7b@${plain.origin}`);
    assert.equal(fresh.info.contextWindow?.tokens, 4096);
    assert.match(fresh.info.contextWindow?.source ?? '', /Ollama's default context/);
    await fresh.next({ messages, tools });
    const loaded = await createPolicy(`ollama:qwen2.5-coder:7b@${plain.origin}`);
    assert.deepEqual(loaded.info.contextWindow, {
      tokens: 4096,
      source: 'Ollama /api/ps context_length (the model as loaded)',
    });
  });

  test('Ollama: a prompt past num_ctx is refused (truncate false) and read as an overflow, never silently cut', async () => {
    const server = track(await OllamaServer.start([], { defaultNumCtx: 2048 }));
    const error = await new OllamaPolicy({ model: 'qwen2.5-coder:7b', baseURL: server.origin, retry: fastRetry })
      .next({ messages: long(3000), tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError, String(error));
    assert.ok(error.overflow, 'an overflow');
    assert.deepEqual(server.truncations, []);
  });

  test('Ollama: a model without the tools capability is a 400 that says to pick a tools-capable model, asked once', async () => {
    const server = track(await OllamaServer.start([step.text('never')], { tools: false }));
    for (const policy of [
      new OllamaPolicy({ model: 'qwen2.5-coder:7b', baseURL: server.origin, retry: fastRetry }),
      openai(`${server.origin}/v1`, 'qwen2.5-coder:7b'),
    ]) {
      const error = await policy.next({ messages, tools }).catch((caught: unknown) => caught);
      assert.ok(error instanceof PolicyError, String(error));
      assert.equal(error.quirk, 'ollama-no-tools');
      assert.match(error.message, /registry\.ollama\.ai\/library\/qwen2\.5-coder:7b does not support tools/);
      assert.match(error.message, /lists the tools capability/);
    }
    assert.equal(
      server.requests.filter((request) => request.method === 'POST' && request.path !== '/api/show').length,
      2,
    );
  });

  test("Ollama: the model's thinking is read from its own API and its /v1 API", async () => {
    const server = track(
      await OllamaServer.start([
        step.text('Answer.', { reasoning: 'Hmm.' }),
        step.text('Again.', { reasoning: 'Hmm again.' }),
      ]),
    );
    const native = await new OllamaPolicy({
      model: 'qwen2.5-coder:7b',
      baseURL: server.origin,
      settings: { stream: false },
    }).next({ messages, tools });
    assert.deepEqual([native.message.content, native.reasoning], ['Answer.', 'Hmm.']);
    const compat = await openai(`${server.origin}/v1`, 'qwen2.5-coder:7b').next({ messages, tools });
    assert.deepEqual([compat.message.content, compat.reasoning], ['Again.', 'Hmm again.']);
  });

  test('Ollama 0.12.11 on: --logprobs asks its own API (top-level logprobs), streamed or not; its /v1 API drops them; token ids are refused', async () => {
    const logprobs = [
      { token: 'Ans', logprob: -0.5 },
      { token: 'wer', logprob: -0.25 },
      { token: '.', logprob: -0.125 },
    ];
    const server = track(
      await OllamaServer.start([
        step.text('Answer.', { logprobs }),
        step.text('Answer.', { logprobs }),
        step.text('Answer.', { logprobs }),
      ]),
    );
    const native = (stream: boolean) =>
      new OllamaPolicy({ model: 'qwen2.5-coder:7b', baseURL: server.origin, settings: { stream, logprobs: true } });
    for (const stream of [false, true]) {
      const response = await native(stream).next({ messages, tools });
      assert.deepEqual(response.logprobs, logprobs, stream ? 'streamed' : 'not streamed');
    }
    assert.deepEqual(
      server.chatRequests.map((request) => request.body?.logprobs),
      [true, true],
    );
    const compat = await openai(`${server.origin}/v1`, 'qwen2.5-coder:7b', { settings: { logprobs: true } }).next({
      messages,
      tools,
    });
    assert.equal(compat.logprobs, undefined);
    assert.throws(
      () => new OllamaPolicy({ model: 'qwen2.5-coder:7b', settings: { tokenIds: true } }),
      /--token-ids: Ollama's API returns no token ids/,
    );
  });

  for (const stream of [true, false])
    test(`Ollama (${stream ? 'streamed' : 'not streamed'}): the thinking its own API returned goes back on its message as thinking; a reply without any gets none`, async () => {
      const server = track(
        await OllamaServer.start([
          step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
          step.toolCall('bash', { command: 'cat calc.py' }),
          step.text('Fixed.'),
        ]),
      );
      const policy = new OllamaPolicy({
        model: 'qwen2.5-coder:7b',
        baseURL: server.origin,
        settings: { stream },
        retry: fastRetry,
      });
      await converse(policy, messages, tools);
      const sent = server.chatRequests[2].body!.messages as Record<string, unknown>[];
      const [thought, unthought] = sent.filter((message) => message.role === 'assistant');
      assert.equal(thought.thinking, 'Run the tests first.');
      assert.ok(!('thinking' in unthought), JSON.stringify(unthought));
    });

  test('Ollama /v1 (ollama/ollama#15457): two tool calls streamed whole, both at index 0 with their own ids, stay two calls', async () => {
    // Ollama's /v1 streams each call whole in one chunk, and numbered every call 0 (0.20.x).
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      ...chunkOf('qwen2.5-coder:7b', { role: 'assistant', content: '', ...delta }, finishReason),
      system_fingerprint: 'fp_ollama',
    });
    const call = (id: string, command: string) => ({
      id,
      index: 0,
      type: 'function',
      function: { name: 'bash', arguments: JSON.stringify({ command }) },
    });
    const server = await replayingServer('sse', [
      chunk({ tool_calls: [call('call_h3k1', 'cat a.py')] }),
      chunk({ tool_calls: [call('call_q8v2', 'cat b.py')] }),
      chunk({}, 'tool_calls'),
    ]);
    const response = await openai(server.baseURL, 'qwen2.5-coder:7b').next({ messages, tools });
    assert.deepEqual(
      response.message.tool_calls?.map((each) => [each.id, each.function.name, each.function.arguments]),
      [
        ['call_h3k1', 'bash', '{"command":"cat a.py"}'],
        ['call_q8v2', 'bash', '{"command":"cat b.py"}'],
      ],
    );
  });

  test('Ollama: an NDJSON stream that ends without its done line, or with an error line, is retried, never taken for the answer', async () => {
    const line = (content: string) => ({
      model: 'qwen2.5-coder:7b',
      created_at: '2026-12-06T12:00:00.000Z',
      message: { role: 'assistant', content },
      done: false,
    });
    const last = {
      model: 'qwen2.5-coder:7b',
      created_at: '2026-12-06T12:00:01.000Z',
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: 1_200_000_000,
      load_duration: 20_000_000,
      prompt_eval_count: 120,
      prompt_eval_duration: 300_000_000,
      eval_count: 9,
      eval_duration: 800_000_000,
    };
    const server = await replayingServer(
      'ndjson',
      [line('The bug is in '), line('round')],
      [line('The bug is in '), line('round().'), last],
    );
    const response = await new OllamaPolicy({
      model: 'qwen2.5-coder:7b',
      baseURL: server.origin,
      retry: fastRetry,
    }).next({ messages, tools });
    assert.deepEqual(
      [response.message.content, response.finishReason, response.retries, server.requests()],
      ['The bug is in round().', 'stop', 1, 2],
    );
    assert.deepEqual(response.usage, { promptTokens: 120, completionTokens: 9 });
    // Its docs: "If an error occurs mid-stream, the error will be returned as an object … with an error property"
    // (docs.ollama.com/api/errors), the status already sent: a failure of the server, retried as one.
    const failed = await replayingServer(
      'ndjson',
      [line('The bug is in '), { error: 'an error was encountered while running the model' }],
      [line('The bug is in '), line('round().'), last],
    );
    const retried = await new OllamaPolicy({
      model: 'qwen2.5-coder:7b',
      baseURL: failed.origin,
      retry: fastRetry,
    }).next({ messages, tools });
    assert.deepEqual([retried.message.content, retried.retries, failed.requests()], ['The bug is in round().', 1, 2]);
  });

  test('Ollama until mid-2024 (ollama/ollama#2068): no prompt_eval_count when the prompt came from its cache; the count is estimated and marked so', async () => {
    const server = await replayingServer('ndjson', [
      {
        model: 'llama3:8b',
        created_at: '2024-04-08T10:00:00.000Z',
        message: { role: 'assistant', content: 'Done.' },
        done: false,
      },
      {
        model: 'llama3:8b',
        created_at: '2024-04-08T10:00:01.000Z',
        message: { role: 'assistant', content: '' },
        done: true,
        total_duration: 400_000_000,
        load_duration: 3_000_000,
        eval_count: 3,
        eval_duration: 90_000_000,
      },
    ]);
    const response = await new OllamaPolicy({ model: 'llama3:8b', baseURL: server.origin }).next({ messages, tools });
    assert.equal(response.usage.completionTokens, 3, 'the count it sent is kept');
    assert.equal(response.usage.estimated, true);
    assert.ok(response.usage.promptTokens > 10, `an estimate from the messages, not 0: ${response.usage.promptTokens}`);
  });

  test('Ollama through its OpenAI-compatible URL: the window is asked of /api/show too', async () => {
    const server = track(await OllamaServer.start([], { modelfileNumCtx: 12288 }));
    const policy = await createPolicy(`openai:qwen2.5-coder:7b@${server.origin}/v1`, { env: {} });
    assert.deepEqual([policy.info.server, policy.info.contextWindow?.tokens], ['ollama', 12288]);
  });
});

describe('Mistral (test double of the real wire format): reasoning in content chunks', () => {
  const model = 'mistral-medium-3-5';
  const thinkingChunk = { type: 'thinking', thinking: [{ type: 'text', text: 'Let me look.' }] };
  const textChunk = { type: 'text', text: 'I will look at the repository.' };

  test("Mistral: a reply's thinking and text chunks, whole or streamed, are its reasoning and its answer, and go back as chunks", async () => {
    const whole = {
      id: 'cmpl-1',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [
        { index: 0, message: { role: 'assistant', content: [thinkingChunk, textChunk] }, finish_reason: 'stop' },
      ],
    };
    const streamed = [
      chunkOf(model, { role: 'assistant', content: [thinkingChunk] }),
      chunkOf(model, { content: [{ type: 'thinking', thinking: [{ type: 'text', text: ' Then fix.' }] }] }),
      chunkOf(model, { content: 'I will look' }),
      chunkOf(model, { content: ' at the repository.' }, 'stop'),
    ];
    for (const [format, events, thinking] of [
      ['json', [whole], 'Let me look.'],
      ['sse', streamed, 'Let me look. Then fix.'],
    ] as const) {
      const server = await replayingServer(format, [...events]);
      const stream = format === 'sse';
      const { message } = await openai(server.baseURL, model, { settings: { stream } }).next({ messages, tools });
      assert.equal(message.content, 'I will look at the repository.', format);
      assert.deepEqual(message.extra?.reasoning_sent_back, { field: 'content_chunks', text: thinking }, format);
      assert.deepEqual(toWireMessage(message).content, [
        { type: 'thinking', thinking: [{ type: 'text', text: thinking }] },
        { type: 'text', text: 'I will look at the repository.' },
      ]);
    }
  });

  test('content that is neither text nor a list of chunks is the server failing, never a reply', async () => {
    const odd = { id: 'c', object: 'chat.completion', created: 1, model, choices: [] as unknown[] };
    odd.choices.push({ index: 0, message: { role: 'assistant', content: { text: 'x' } }, finish_reason: 'stop' });
    const server = await replayingServer('json', [odd]);
    const error = await openai(server.baseURL, model, { settings: { stream: false } })
      .next({ messages, tools })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof PolicyError, String(error));
    assert.match(error.message, /neither text nor a list of chunks/);
  });
});
