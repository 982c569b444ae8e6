/**
 * OpenRouter (`openai:MODEL@https://openrouter.ai/api/v1`) through the OpenAI-compatible policy, against a test double
 * of its wire format as its documentation describes it (test/support/openRouterServer.ts): the refusals of the
 * providers behind it, read in their own words, and the reasoning blocks that must go back unmodified.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { PolicyError, type ChatMessage, type Policy } from '../../../src/core/agent/policies/policy';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { OpenRouterServer, type OpenRouterServerOptions } from '../../support/openRouterServer';
import { step, type ScriptStep } from '../../support/scriptedServer';

const KEY = 'sk-or-v1-0123456789abcdef0123456789abcdef';
const MODEL = 'anthropic/claude-sonnet-4.5';
const messages: ChatMessage[] = [
  { role: 'system', content: 'You fix bugs.' },
  { role: 'user', content: 'Fix the rounding bug.' },
];
const tools = new Toolbox([bashTool(), submitTool()]).definitions;
const servers: OpenRouterServer[] = [];
after(async () => Promise.all(servers.map((server) => server.close())));

async function openRouter(steps: ScriptStep[], options: OpenRouterServerOptions = {}): Promise<OpenRouterServer> {
  const server = await OpenRouterServer.start(steps, { apiKey: KEY, ...options });
  servers.push(server);
  return server;
}

function policyFor(server: OpenRouterServer, stream = true): OpenAIPolicy {
  return new OpenAIPolicy({
    model: MODEL,
    baseURL: server.baseURL,
    apiKey: KEY,
    settings: { stream },
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
  });
}

async function refusal(policy: Policy, conversation: ChatMessage[] = messages): Promise<PolicyError> {
  const error = await policy.next({ messages: conversation, tools }).catch((caught: unknown) => caught);
  assert.ok(error instanceof PolicyError, String(error));
  return error;
}

describe("OpenRouter (test double of the real wire format): the providers' refusals in their own words", () => {
  test("OpenRouter (test double of the real wire format): a provider's refusal says the provider's words from metadata.raw, and its name", async () => {
    const said = 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096.';
    const server = await openRouter([step.httpError(400, { message: said })], { provider: 'Nvidia' });
    const error = await refusal(policyFor(server));
    assert.equal(error.status, 400);
    assert.ok(error.message.includes(`Provider returned error (Nvidia): ${said}`), error.message);
  });

  test("OpenRouter (test double of the real wire format): a provider's plain-text refusal (open-webui/computer#293) is said as it is", async () => {
    const said = 'z-ai/glm-4.6 is temporarily rate-limited upstream. Please retry shortly.';
    const server = await openRouter([step.httpError(429, { message: said }), step.text('Fixed.')], {
      provider: 'BaseTen',
      providerRaw: 'text',
    });
    const reply = await policyFor(server).next({ messages, tools });
    assert.equal(reply.message.content, 'Fixed.', 'a 429 is retried');
    const error = await refusal(
      policyFor(await openRouter([step.httpError(400, { message: said })], { providerRaw: 'text' })),
    );
    assert.ok(error.message.includes(`Provider returned error (Anthropic): ${said}`), error.message);
  });

  test("OpenRouter (test double of the real wire format): a provider's context overflow (cline/cline#13194) is read with its sizes, never retried", async () => {
    const said =
      "This model's maximum context length is 262144 tokens. However, your messages resulted in 262897 tokens. Please reduce the length of the messages.";
    const server = await openRouter([step.httpError(400, { message: said })], { provider: 'Nvidia' });
    const error = await refusal(policyFor(server));
    assert.deepEqual(error.overflow, { limit: 262144, promptTokens: 262897 });
    assert.equal(error.retryable, false);
    assert.ok(error.message.includes(said), error.message);
  });

  test("OpenRouter (test double of the real wire format): a provider's refusal of a known quirk quoted with double quotes inside metadata.raw is known", async () => {
    // vLLM's wording, quoted: inside raw's JSON text its quotes are escaped, so only the provider's words show them.
    const said = '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set';
    const server = await openRouter([step.httpError(400, { message: said })], { provider: 'Chutes' });
    const error = await refusal(policyFor(server));
    assert.equal(error.quirk, 'vllm-tool-parser');
    assert.equal(server.completionRequests.length, 1, 'a set-up problem is not asked again');
  });

  test('OpenRouter (test double of the real wire format): its own context check ("This endpoint\'s maximum context length …") is an overflow with the limit and the prompt\'s text and tool input', async () => {
    const server = await openRouter([], { contextWindow: 300 });
    const error = await refusal(policyFor(server), [...messages, { role: 'user', content: 'y'.repeat(2000) }]);
    assert.ok(error.message.includes("This endpoint's maximum context length is 300 tokens"), error.message);
    const body = server.completionRequests[0].body!;
    const textAndTools = Number(/about (\d+) tokens/.exec(error.message)?.[1]);
    assert.ok(!('max_tokens' in body) && textAndTools > 300, error.message);
    assert.deepEqual(error.overflow, { limit: 300, promptTokens: textAndTools });
  });
});
