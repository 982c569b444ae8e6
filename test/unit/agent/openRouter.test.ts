/**
 * OpenRouter (`openai:MODEL@https://openrouter.ai/api/v1`) through the OpenAI-compatible policy, against a test double
 * of its wire format as its documentation describes it (test/support/openRouterServer.ts): the refusals of the
 * providers behind it, read in their own words, and the reasoning blocks that must go back unmodified.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { createPolicy } from '../../../src/core/agent/policies/policySpec';
import { PolicyError, type ChatMessage, type Policy } from '../../../src/core/agent/policies/policy';
import { messagesAsSent } from '../../../src/core/agent/policies/requestAsSent';
import { knownQuirk } from '../../../src/core/agent/policies/serverErrors';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import {
  ANTHROPIC_INVALID_SIGNATURE,
  ANTHROPIC_MISSING_THINKING,
  OpenRouterServer,
  reasoningDetails,
  type OpenRouterServerOptions,
} from '../../support/openRouterServer';
import { converse } from '../../support/converse';
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
  test("OpenRouter (test double of the real wire format): the context window is the model card's context_length in /models", async () => {
    const server = await openRouter([], { contextWindow: 200000 });
    const policy = await createPolicy(`openai:${MODEL}@${server.baseURL}`, { env: { OPENAI_API_KEY: KEY } });
    assert.deepEqual(policy.info.contextWindow, { tokens: 200000, source: `/v1/models context_length of ${MODEL}` });
  });

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

describe('OpenRouter (test double of the real wire format): reasoning blocks (reasoning_details) go back unmodified', () => {
  for (const stream of [true, false])
    test(`OpenRouter (test double of the real wire format) (${stream ? 'streamed' : 'not streamed'}): each reply's reasoning_details are kept on it as OpenRouter documents them and go back unmodified, so a tool-calling run with Anthropic thinking goes on`, async () => {
      const server = await openRouter([
        step.toolCall('bash', { command: 'pytest' }, { reasoning: 'Run the tests first.' }),
        step.toolCall('bash', { command: 'cat calc.py' }, { reasoning: 'Read the code.' }),
        step.text('Fixed.', { reasoning: 'The sign was wrong.' }),
      ]);
      const policy = policyFor(server, stream);
      const { conversation, replies } = await converse(policy, messages, tools);
      assert.equal(replies.at(-1)?.message.content, 'Fixed.');
      const thoughts = ['Run the tests first.', 'Read the code.', 'The sign was wrong.'];
      assert.deepEqual(
        replies.map((reply) => reply.reasoning),
        thoughts,
        "the reasoning text is the turn's reasoning",
      );
      assert.deepEqual(
        replies.map((reply) => reply.message.extra?.reasoning_details),
        thoughts.map(reasoningDetails),
        'the blocks as the server made them, a stream put together by index',
      );
      const sent = server.completionRequests[2].body!.messages as Record<string, unknown>[];
      assert.equal(
        JSON.stringify(
          sent.filter((message) => message.role === 'assistant').map((message) => message.reasoning_details),
        ),
        JSON.stringify(replies.slice(0, 2).map((reply) => reply.message.extra?.reasoning_details)),
        'each sent back as it was kept, byte for byte',
      );
      // What Anthropic, behind OpenRouter, refuses: the blocks left out, or changed.
      const changed = (details: Record<string, unknown>[]) => details.map((block) => ({ ...block, text: 'Edited.' }));
      for (const [alter, said] of [
        [() => undefined, ANTHROPIC_MISSING_THINKING],
        [changed, ANTHROPIC_INVALID_SIGNATURE],
      ] as const) {
        const altered = conversation
          .slice(0, -1)
          .map((message) =>
            message.role === 'assistant' && message.extra?.reasoning_details
              ? { ...message, extra: { reasoning_details: alter(message.extra.reasoning_details) } }
              : message,
          ) as ChatMessage[];
        const error = await refusal(policy, altered);
        assert.ok(error.message.includes(said), error.message);
      }
    });

  test('OpenRouter (test double of the real wire format): a reply without reasoning keeps no reasoning_details and goes back without the field', async () => {
    const server = await openRouter([step.toolCall('bash', { command: 'ls' }), step.text('Done.')]);
    const { replies } = await converse(policyFor(server), messages, tools);
    assert.deepEqual(
      replies.map((reply) => reply.message.extra),
      [undefined, undefined],
    );
    const sent = server.completionRequests[1].body!.messages as Record<string, unknown>[];
    assert.deepEqual(Object.keys(sent[2]), ['role', 'content', 'tool_calls']);
  });
});

describe('a server that refuses reasoning on earlier replies (reasoning-field-refused)', () => {
  test("a field-by-field validator's refusal of reasoning_details is the known quirk", () => {
    assert.equal(
      knownQuirk(
        "'messages.2' : for 'role:assistant' the following must be satisfied[('messages.2' : property 'reasoning_details' is unsupported)]",
      )?.name,
      'reasoning-field-refused',
    );
  });

  test('once it is shown, earlier replies go without their reasoning_details as without their reasoning text', () => {
    const reply: ChatMessage = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c0', type: 'function', function: { name: 'bash', arguments: '{}' } }],
      extra: {
        reasoning_sent_back: { field: 'reasoning', text: 'Run the tests first.' },
        reasoning_details: reasoningDetails('Run the tests first.'),
      },
    };
    const [sent] = messagesAsSent([reply], new Set(['reasoning-field-refused']));
    assert.ok(!('extra' in sent), JSON.stringify(sent));
  });
});
