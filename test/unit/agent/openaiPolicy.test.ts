import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { createPolicy } from '../../../src/core/agent/policies/policySpec';
import { PolicyError, type ChatMessage } from '../../../src/core/agent/policies/policy';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { submitTool } from '../../../src/core/agent/tools/submit';
import type { Sandbox } from '../../../src/core/sandbox/sandbox';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';

const KEY = 'sk-test-0123456789abcdef';
const messages: ChatMessage[] = [
  { role: 'system', content: 'You fix bugs.' },
  { role: 'user', content: 'Fix the rounding bug.' },
];
const tools = new Toolbox([submitTool()]).definitions;
const fastRetry = { baseDelayMs: 5, maxDelayMs: 50 };
const servers: ScriptedOpenAIServer[] = [];

async function serve(...steps: ScriptStep[]) {
  const server = await ScriptedOpenAIServer.start(steps, { apiKey: KEY });
  servers.push(server);
  return server;
}

function policyFor(server: ScriptedOpenAIServer, options: Partial<ConstructorParameters<typeof OpenAIPolicy>[0]> = {}) {
  return new OpenAIPolicy({
    model: 'scripted-model',
    baseURL: server.baseURL,
    apiKey: KEY,
    retry: fastRetry,
    ...options,
  });
}

describe('OpenAIPolicy against a local OpenAI wire-protocol double', () => {
  after(async () => Promise.all(servers.map((server) => server.close())));

  test('sends messages, tools and parameters; returns the tool call and usage', async () => {
    const server = await serve(
      step.toolCall(
        'submit',
        { summary: 'done' },
        { content: 'Submitting.', usage: { prompt_tokens: 120, completion_tokens: 7 } },
      ),
    );
    const settings = { temperature: 0.2, maxTokens: 512, seed: 7, reasoningEffort: 'low' as const, stream: false };
    const policy = policyFor(server, { settings });
    const response = await policy.next({ messages, tools });
    assert.deepEqual(response.message, {
      role: 'assistant',
      content: 'Submitting.',
      tool_calls: [{ id: 'call_0_0', type: 'function', function: { name: 'submit', arguments: '{"summary":"done"}' } }],
    });
    assert.deepEqual(response.usage, { promptTokens: 120, completionTokens: 7 });
    assert.equal(response.finishReason, 'tool_calls');
    assert.equal(response.retries, 0);
    assert.ok(response.modelMs > 0);
    assert.equal(response.logprobs, undefined);
    const [request] = server.completionRequests;
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(request.body?.messages, messages);
    assert.deepEqual(request.body?.tools, tools);
    assert.deepEqual(
      [request.body?.model, request.body?.temperature, request.body?.max_tokens, request.body?.seed],
      ['scripted-model', 0.2, 512, 7],
    );
    assert.equal(request.body?.reasoning_effort, 'low');
    assert.deepEqual(policy.info.parameters, { temperature: 0.2, seed: 7, max_tokens: 512, reasoning_effort: 'low' });
    assert.deepEqual(policy.info.settings, settings);
    assert.ok(!JSON.stringify(policy.info).includes(KEY), 'the key is not part of the recorded policy info');
  });

  test('malformed arguments and unknown tools reach the toolbox verbatim and become error observations', async () => {
    const server = await serve(
      step.toolCall('submit', '{"summary": "oops'),
      step.toolCall('deploy_to_prod', {}),
      step.text('I am done.'),
    );
    const policy = policyFor(server);
    const toolbox = new Toolbox([submitTool()]);
    const noSandbox = {} as Sandbox;
    const malformed = await policy.next({ messages, tools });
    assert.equal(malformed.message.tool_calls?.[0].function.arguments, '{"summary": "oops');
    assert.equal((await toolbox.call(malformed.message.tool_calls![0], { sandbox: noSandbox })).error, 'invalid_json');
    const unknown = await policy.next({ messages, tools });
    assert.equal((await toolbox.call(unknown.message.tool_calls![0], { sandbox: noSandbox })).error, 'unknown_tool');
    const plain = await policy.next({ messages, tools });
    assert.deepEqual(plain.message, { role: 'assistant', content: 'I am done.' });
    assert.equal(plain.finishReason, 'stop');
  });

  test('a 429 is retried after the server-given delay, then succeeds', async () => {
    const server = await serve(
      step.httpError(429, { message: 'Rate limit reached', headers: { 'retry-after-ms': '30' } }),
      step.text('ok'),
    );
    const response = await policyFor(server).next({ messages, tools });
    assert.equal(response.message.content, 'ok');
    assert.equal(response.retries, 1);
    assert.equal(server.completionRequests.length, 2);
    assert.ok(response.modelMs >= 30, `waited ${response.modelMs} ms`);
  });

  test('5xx is retried up to the limit, then a PolicyError names the server and model but not the key', async () => {
    const server = await serve(step.httpError(500), step.httpError(502), step.httpError(503));
    const error = await policyFor(server, { retry: { ...fastRetry, maxRetries: 2 } })
      .next({ messages, tools })
      .then(
        () => assert.fail('expected a PolicyError'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof PolicyError);
    assert.equal(error.status, 503);
    assert.equal(error.retryable, true);
    assert.match(error.message, new RegExp(`^${server.baseURL} model scripted-model: 503 .*gave up after 3 attempts`));
    assert.ok(!error.message.includes(KEY));
    assert.equal(server.completionRequests.length, 3);
  });

  test('a 400 or a wrong key is not retried', async () => {
    const server = await serve(step.httpError(400, { message: 'context length exceeded' }));
    await assert.rejects(
      policyFor(server).next({ messages, tools }),
      (e: PolicyError) => e.status === 400 && /context length exceeded/.test(e.message),
    );
    assert.equal(server.completionRequests.length, 1);
    await assert.rejects(policyFor(server, { apiKey: 'sk-wrong-key' }).next({ messages, tools }), (e: PolicyError) => {
      assert.equal(e.status, 401);
      assert.match(e.message, /Incorrect API key provided: \[REDACTED\]\./);
      return true;
    });
    assert.equal(server.completionRequests.length, 2);
  });

  test('a slow server times out, and the timeout is retried', async () => {
    // Far apart, so that a loaded machine's slow answer to the retry is never taken for the slow server.
    const server = await serve(step.text('late', { delayMs: 5000 }), step.text('in time'));
    const response = await policyFor(server, { timeoutMs: 1000 }).next({ messages, tools });
    assert.equal(response.message.content, 'in time');
    assert.equal(response.retries, 1);
  });

  test('an abort stops the call without retrying', async () => {
    const server = await serve(step.text('late', { delayMs: 1000 }), step.text('never asked for'));
    const controller = new AbortController();
    // Cancelled once the server holds the request, however loaded the machine is.
    const watch = setInterval(() => {
      if (server.completionRequests.length) controller.abort(new Error('run cancelled'));
    }, 5);
    await assert.rejects(policyFor(server).next({ messages, tools, signal: controller.signal }), /run cancelled/);
    clearInterval(watch);
    assert.equal(server.completionRequests.length, 1);
  });

  test('logprobs and token ids are requested and kept when the server returns them', async () => {
    const server = await serve(
      step.text('Done', {
        logprobs: [{ token: 'Done', logprob: -0.25 }],
        tokenIds: { prompt: [1, 2, 3], completion: [42, 7] },
      }),
      step.text('Done', { logprobs: [{ token: 'Done', logprob: -0.25 }], tokenIds: { prompt: [1], completion: [42] } }),
    );
    const withExtras = await policyFor(server, { settings: { logprobs: true, tokenIds: true } }).next({
      messages,
      tools,
    });
    assert.deepEqual(withExtras.logprobs, [{ token: 'Done', logprob: -0.25 }]);
    assert.deepEqual(withExtras.tokenIds, { prompt: [1, 2, 3], completion: [42, 7] });
    const body = server.completionRequests[0].body!;
    assert.deepEqual([body.logprobs, body.return_token_ids], [true, true]);
    // Off (as a VS Code setting left at false) sends neither field: some servers refuse fields they do not know.
    const plain = await policyFor(server, { settings: { logprobs: false, tokenIds: false } }).next({ messages, tools });
    assert.equal(plain.logprobs, undefined);
    assert.equal(plain.tokenIds, undefined);
    const plainBody = server.completionRequests[1].body!;
    assert.deepEqual(['logprobs' in plainBody, 'return_token_ids' in plainBody], [false, false]);
  });

  test('a huge reply comes through whole; prices give a cost', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const server = await serve(step.text(huge, { usage: { prompt_tokens: 1_000_000, completion_tokens: 500_000 } }));
    const response = await policyFor(server, { settings: { priceInput: 2, priceOutput: 8 } }).next({
      messages,
      tools,
    });
    assert.equal(response.message.content, huge);
    assert.equal(response.cost, 6);
  });

  test('without a key for OpenAI itself, construction fails with what to do', () => {
    assert.throws(() => new OpenAIPolicy({ model: 'gpt-4o', env: {} }), /OPENAI_API_KEY is not set/);
    assert.doesNotThrow(() => new OpenAIPolicy({ model: 'llama3', baseURL: 'http://127.0.0.1:11434/v1', env: {} }));
  });

  test("token ids are refused for OpenAI's and Azure OpenAI's API, which refuse return_token_ids; logprobs are not", () => {
    for (const baseURL of ['https://api.openai.com/v1', 'https://r.openai.azure.com/openai/v1']) {
      assert.throws(
        () => new OpenAIPolicy({ model: 'gpt-4.1', baseURL, apiKey: KEY, settings: { tokenIds: true } }),
        /--token-ids: OpenAI's API returns no token ids/,
      );
      const policy = new OpenAIPolicy({ model: 'gpt-4.1', baseURL, apiKey: KEY, settings: { logprobs: true } });
      assert.equal(policy.info.parameters.logprobs, true);
    }
  });

  test("--logprobs is refused up front for OpenAI's reasoning models on OpenAI's and Azure OpenAI's API, which refuse it", () => {
    for (const baseURL of ['https://api.openai.com/v1', 'https://r.openai.azure.com/openai/v1']) {
      for (const model of ['o4-mini', 'o3-2025-04-16', 'gpt-5-mini'])
        assert.throws(
          () => new OpenAIPolicy({ model, baseURL, apiKey: KEY, settings: { logprobs: true } }),
          new RegExp(`--logprobs: ${model} is one of OpenAI's reasoning models`),
        );
      for (const model of ['gpt-4o', 'gpt-5-chat-latest'])
        assert.doesNotThrow(() => new OpenAIPolicy({ model, baseURL, apiKey: KEY, settings: { logprobs: true } }));
    }
  });

  test("the reply limit goes as max_completion_tokens to OpenAI's and Azure OpenAI's v1 API however the URL is written, else as max_tokens", () => {
    // OpenAI's reasoning models (o-series, gpt-5) answer max_tokens with 400 "Unsupported parameter: 'max_tokens'".
    const limitField = (baseURL: string) =>
      Object.keys(
        new OpenAIPolicy({ model: 'gpt-5', baseURL, apiKey: KEY, settings: { maxTokens: 500 } }).info.parameters,
      );
    for (const baseURL of [
      'https://api.openai.com/v1',
      'https://api.openai.com/v1/',
      'https://API.openai.com/v1',
      'https://contoso.openai.azure.com/openai/v1/',
      'https://contoso.openai.azure.com/openai/v1',
    ])
      assert.deepEqual(limitField(baseURL), ['max_completion_tokens'], baseURL);
    for (const baseURL of ['http://127.0.0.1:8000/v1', 'https://openrouter.ai/api/v1'])
      assert.deepEqual(limitField(baseURL), ['max_tokens'], baseURL);
    assert.throws(
      () => new OpenAIPolicy({ model: 'gpt-5', baseURL: 'https://api.openai.com/v1/', env: {} }),
      /OPENAI_API_KEY is not set/,
    );
  });

  test('the double also speaks the streaming and model-listing protocol to the official SDK', async () => {
    const server = await serve(
      step.toolCalls([{ name: 'submit', arguments: { summary: 'streamed arguments' } }], { content: 'Streaming now.' }),
    );
    const client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL });
    assert.deepEqual(
      (await client.models.list()).data.map((model) => model.id),
      ['scripted-model'],
    );
    const stream = client.chat.completions.stream({
      model: 'scripted-model',
      messages,
      tools,
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    assert.equal(completion.choices[0].message.content, 'Streaming now.');
    assert.deepEqual(
      completion.choices[0].message.tool_calls?.map((call) => call.type === 'function' && call.function),
      [{ name: 'submit', arguments: '{"summary":"streamed arguments"}' }],
    );
    assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
  });

  test('a policy spec with a base URL reaches the server, key from the environment', async () => {
    const server = await serve(step.text('via spec'));
    const policy = await createPolicy(`openai:scripted-model@${server.baseURL}`, {
      env: { OPENAI_API_KEY: KEY },
      openai: { retry: fastRetry },
    });
    assert.equal((await policy.next({ messages, tools })).message.content, 'via spec');
    assert.equal(server.completionRequests[0].headers.authorization, `Bearer ${KEY}`);
  });

  test('a script that runs out answers 400 saying so', async () => {
    const server = await serve();
    await assert.rejects(
      policyFor(server).next({ messages, tools }),
      /scripted server: the script has no step 1 \(it had 0\)/,
    );
  });
});
