import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPolicy, parsePolicySpec } from '../../../src/core/agent/policies/policySpec';
import {
  loadRecordedMessages,
  RecordingExhaustedError,
  RecordedPolicy,
} from '../../../src/core/agent/policies/recordedPolicy';
import type { AssistantMessage } from '../../../src/core/agent/policies/policy';

describe('parsePolicySpec', () => {
  test('backends, models with colons and @, optional base URLs', () => {
    assert.deepEqual(parsePolicySpec('openai:gpt-4o'), { backend: 'openai', model: 'gpt-4o' });
    assert.deepEqual(parsePolicySpec('openai:llama3.1:8b@http://127.0.0.1:11434/v1'), {
      backend: 'openai',
      model: 'llama3.1:8b',
      baseURL: 'http://127.0.0.1:11434/v1',
    });
    assert.deepEqual(parsePolicySpec('openai:org/model@rev2'), { backend: 'openai', model: 'org/model@rev2' });
    assert.deepEqual(parsePolicySpec('anthropic:claude-sonnet-4-5'), {
      backend: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    assert.deepEqual(parsePolicySpec('recorded:runs/a b/trajectory.jsonl'), {
      backend: 'recorded',
      path: 'runs/a b/trajectory.jsonl',
    });
  });

  test('replay:PATH, the former name of recorded:PATH, is read as the same policy (a documented alias)', () => {
    assert.deepEqual(parsePolicySpec('replay:runs/'), parsePolicySpec('recorded:runs/'));
  });

  test('bad specs are errors that quote the spec and list the accepted forms', () => {
    assert.throws(
      () => parsePolicySpec('gpt-4o'),
      /^Error: policy "gpt-4o": no backend given; use openai:MODEL\[@BASE_URL\], openai-responses:MODEL\[@BASE_URL\], anthropic:MODEL\[@BASE_URL\], ollama:MODEL\[@BASE_URL\] or recorded:PATH$/,
    );
    assert.throws(() => parsePolicySpec('gemini:pro'), /policy "gemini:pro": unknown backend "gemini"/);
    assert.throws(() => parsePolicySpec('openai:'), /policy "openai:": no model name/);
    assert.throws(() => parsePolicySpec('openai:@http://x'), /no model name/);
    assert.throws(() => parsePolicySpec('recorded:'), /recorded needs the path of a recorded trajectory/);
    assert.throws(() => parsePolicySpec('openai:m@http://exa mple'), /"http:\/\/exa mple" is not a valid base URL/);
  });

  test('createPolicy builds each backend with the settings, keys from the given environment', async () => {
    const env = { OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'sk-2' };
    const openai = await createPolicy('openai:gpt-4o', { env, settings: { temperature: 0 } });
    assert.deepEqual(openai.info, {
      backend: 'openai',
      model: 'gpt-4o',
      baseURL: 'https://api.openai.com/v1',
      parameters: { temperature: 0 },
      settings: { temperature: 0 },
      server: 'openai',
      contextWindow: openai.info.contextWindow,
      prices: openai.info.prices,
    });
    assert.equal(openai.info.contextWindow?.tokens, 128000);
    assert.match(openai.info.contextWindow?.source ?? '', /^model table \(gpt-4o: https:\/\/platform\.openai\.com/);
    assert.equal(
      (await createPolicy('anthropic:claude-x@http://127.0.0.1:9', { env })).info.baseURL,
      'http://127.0.0.1:9',
    );
    const ollama = await createPolicy('ollama:qwen2.5-coder:7b@http://127.0.0.1:9', {
      env,
      noProbe: true,
      settings: { numCtx: 8192 },
    });
    assert.deepEqual(
      [ollama.info.backend, ollama.info.model, ollama.info.contextWindow?.tokens],
      ['ollama', 'qwen2.5-coder:7b', 8192],
    );
    const recorded = await createPolicy('recorded:somewhere', {
      loadRecorded: async () => [{ role: 'assistant', content: 'hi' }],
    });
    assert.deepEqual(recorded.info, { backend: 'recorded', model: 'somewhere', parameters: { steps: 1 } });
    await assert.rejects(createPolicy('anthropic:claude-x', { env: {} }), /ANTHROPIC_API_KEY is not set/);
  });
});

describe('RecordedPolicy', () => {
  const recorded: AssistantMessage[] = [
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
    },
    {
      role: 'assistant',
      content: 'done',
      tool_calls: [{ id: 'call_b', type: 'function', function: { name: 'submit', arguments: '{}' } }],
    },
  ];

  test('answers with the recorded messages in order, then says the recording ended', async () => {
    const policy = new RecordedPolicy(recorded, 'run-1');
    const request = { messages: [], tools: [] };
    assert.deepEqual((await policy.next(request)).message, recorded[0]);
    const second = await policy.next(request);
    assert.deepEqual(
      [second.message, second.usage, policy.remaining],
      [recorded[1], { promptTokens: 0, completionTokens: 0 }, 0],
    );
    await assert.rejects(
      policy.next(request),
      (error: RecordingExhaustedError) =>
        error instanceof RecordingExhaustedError &&
        error.steps === 2 &&
        /the recording run-1 has no assistant message after step 2/.test(error.message),
    );
  });

  test('a caller changing a re-issued message does not change the recording', async () => {
    const policy = new RecordedPolicy(recorded);
    const first = await policy.next({ messages: [], tools: [] });
    first.message.tool_calls![0].function.arguments = '{}';
    assert.equal(recorded[0].tool_calls![0].function.arguments, '{"command":"ls"}');
  });

  test('loads the assistant messages of a trajectory.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
    const file = join(dir, 'trajectory.jsonl');
    const run = {
      run_id: 'r1',
      task_id: 't1',
      attempt: 0,
      policy: 'openai:m',
      model: { name: 'm', parameters: {} },
      tools: [],
      tool_versions: {},
      started_at: '2026-01-01T00:00:00Z',
    };
    const turn = (index: number, assistant: AssistantMessage, answer: string) => ({
      type: 'turn',
      turn: {
        index,
        messages: [assistant, { role: 'tool', tool_call_id: assistant.tool_calls![0].id, content: answer }],
        observations: [],
      },
    });
    const lines = [
      { type: 'run_started', schema_version: 1, run },
      turn(0, recorded[0], 'a.py'),
      turn(1, recorded[1], 'Submitted.'),
    ];
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    assert.deepEqual(await loadRecordedMessages(file), recorded);
    const notALog = join(dir, 'other.jsonl');
    writeFileSync(notALog, '{"hello": 1}\n');
    await assert.rejects(loadRecordedMessages(notALog), new RegExp(`^Error: ${notALog}: not a trajectory log`));
  });
});
