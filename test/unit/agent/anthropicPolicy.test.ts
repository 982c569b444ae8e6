import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnthropicPolicy,
  fromAnthropicMessage,
  toAnthropicConversation,
} from '../../../src/core/agent/policies/anthropicPolicy';
import { PolicyError, type ChatMessage } from '../../../src/core/agent/policies/policy';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { ScriptedAnthropicServer } from '../../support/scriptedAnthropicServer';
import { step, type ScriptStep } from '../../support/scriptedOpenAIServer';

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
  { role: 'assistant', content: null },
];

describe('Anthropic message mapping', () => {
  test('OpenAI-format conversation → system prompt, alternating turns, tool_use and tool_result blocks', () => {
    assert.deepEqual(toAnthropicConversation(conversation), {
      system: 'You fix bugs.',
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

  test('Anthropic reply → OpenAI-format assistant message with JSON-string arguments', () => {
    const message = fromAnthropicMessage({
      content: [
        { type: 'text', text: 'Done.', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'submit', input: { summary: 'x' }, caller: { type: 'direct' } },
      ],
    });
    assert.deepEqual(message, {
      role: 'assistant',
      content: 'Done.',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'submit', arguments: '{"summary":"x"}' } }],
    });
  });
});

describe('AnthropicPolicy against a local Anthropic Messages wire-protocol double', () => {
  const servers: ScriptedAnthropicServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));
  async function serve(...steps: ScriptStep[]) {
    const server = await ScriptedAnthropicServer.start(steps, { apiKey: KEY });
    servers.push(server);
    return server;
  }
  const policyFor = (server: ScriptedAnthropicServer, options: { maxRetries?: number } = {}) =>
    new AnthropicPolicy({
      model: 'claude-scripted',
      baseURL: server.baseURL,
      apiKey: KEY,
      maxTokens: 1024,
      temperature: 0,
      retry: { baseDelayMs: 5, maxRetries: options.maxRetries },
    });

  test('sends the mapped conversation and tools; returns tool calls and usage', async () => {
    const server = await serve(
      step.toolCall(
        'submit',
        { summary: 'fixed' },
        { content: 'All done.', usage: { prompt_tokens: 90, completion_tokens: 12 } },
      ),
    );
    const policy = policyFor(server);
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
    const [request] = server.requests;
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(request.body, {
      max_tokens: 1024,
      temperature: 0,
      model: 'claude-scripted',
      system: 'You fix bugs.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Fix it.' }] }],
      tools: [
        { name: 'submit', description: tools[0].function.description, input_schema: tools[0].function.parameters },
      ],
    });
    assert.ok(!JSON.stringify(policy.info).includes(KEY));
  });

  test('429 and 529 (overloaded) are retried; 400 is not', async () => {
    const server = await serve(
      step.httpError(429, { headers: { 'retry-after': '0' } }),
      step.httpError(529),
      step.text('fine'),
    );
    const response = await policyFor(server).next({ messages: conversation.slice(0, 2), tools });
    assert.deepEqual([response.message.content, response.retries, server.requests.length], ['fine', 2, 3]);
    server.push(step.httpError(400, { message: 'prompt is too long' }));
    await assert.rejects(
      policyFor(server).next({ messages: conversation.slice(0, 2), tools }),
      (e: PolicyError) => e.status === 400 && /prompt is too long/.test(e.message) && !e.message.includes(KEY),
    );
    assert.equal(server.requests.length, 4);
  });

  test('without a key, construction fails with what to do', () => {
    assert.throws(() => new AnthropicPolicy({ model: 'claude-x', env: {} }), /ANTHROPIC_API_KEY is not set/);
  });
});
