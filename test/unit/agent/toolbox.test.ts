import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sandbox } from '../../../src/core/sandbox/sandbox';
import { InfrastructureError } from '../../../src/core/sandbox/sandbox';
import { Toolbox, createDefaultToolbox, parseArguments } from '../../../src/core/agent/tools/toolbox';
import { submitTool } from '../../../src/core/agent/tools/submit';
import type { Tool } from '../../../src/core/agent/tools/tool';

/** These tests check dispatch and validation only: any use of the sandbox is a failure. */
const untouchableSandbox = new Proxy({} as Sandbox, {
  get(_target, property) {
    throw new Error(`the toolbox touched the sandbox (${String(property)}) before validating the call`);
  },
});
const ctx = { sandbox: untouchableSandbox };

const echo: Tool = {
  name: 'echo',
  description: 'Echo a text n times.',
  parameters: {
    type: 'object',
    properties: {
      text: { type: 'string' },
      times: { type: 'integer', minimum: 1 },
      mode: { type: 'string', enum: ['loud', 'quiet'] },
    },
    required: ['text'],
    additionalProperties: false,
  },
  async run(args) {
    const { text, times = 1 } = args as { text: string; times?: number };
    return { output: text.repeat(times), isError: false };
  },
};

function call(name: string, args: string) {
  return { function: { name, arguments: args } };
}

describe('Toolbox', () => {
  const toolbox = new Toolbox([echo, submitTool()]);

  test('runs a valid call and reports its output', async () => {
    const outcome = await toolbox.call(call('echo', '{"text":"hi","times":2}'), ctx);
    assert.equal(outcome.output, 'hihi');
    assert.equal(outcome.isError, false);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.truncated, false);
    assert.equal(outcome.originalBytes, 4, "the whole output's size is kept even when nothing was cut");
  });

  test('an unknown tool becomes an error observation naming the available tools', async () => {
    const outcome = await toolbox.call(call('rm_rf', '{}'), ctx);
    assert.equal(outcome.isError, true);
    assert.equal(outcome.error, 'unknown_tool');
    assert.match(outcome.output, /Unknown tool "rm_rf"\. Available tools: echo, submit\./);
  });

  test('malformed JSON becomes an error observation quoting the parser', async () => {
    const outcome = await toolbox.call(call('echo', '{"text": "hi"'), ctx);
    assert.equal(outcome.error, 'invalid_json');
    assert.match(outcome.output, /^Invalid arguments for echo: not valid JSON \(.+\): \{"text": "hi"$/);
  });

  test('schema violations name each offending field', async () => {
    const outcome = await toolbox.call(call('echo', '{"times":0,"mode":"shout","extra":1}'), ctx);
    assert.equal(outcome.error, 'invalid_arguments');
    assert.match(outcome.output, /missing required argument "text"/);
    assert.match(outcome.output, /unknown argument "extra"/);
    assert.match(outcome.output, /"times" must be >= 1/);
    assert.match(outcome.output, /"mode" must be one of "loud", "quiet"/);
  });

  test('long observations keep head and tail with a note', async () => {
    const small = new Toolbox([echo], { maxObservationChars: 100 });
    const outcome = await small.call(call('echo', JSON.stringify({ text: 'a'.repeat(100) + 'b'.repeat(100) })), ctx);
    assert.equal(outcome.truncated, true);
    assert.equal(outcome.originalBytes, 200);
    assert.ok(outcome.output.startsWith('a'.repeat(50)));
    assert.ok(outcome.output.endsWith('b'.repeat(50)));
    assert.match(outcome.output, /observation truncated: 100 characters \(1 lines\) omitted/);
  });

  test('only tools that can write make the loop take a new diff', () => {
    const toolbox = createDefaultToolbox();
    assert.deepEqual(
      toolbox.names.filter((name) => toolbox.mayChangeWorkTree(name)),
      ['bash', 'edit'],
    );
    assert.equal(toolbox.mayChangeWorkTree('teleport'), false, 'a call to no tool ran nothing');
  });

  test('submit marks the result as submitted; empty arguments mean none', async () => {
    const outcome = await toolbox.call(call('submit', ''), ctx);
    assert.deepEqual([outcome.submitted, outcome.isError], [true, false]);
  });

  test('a tool that throws becomes tool_failed, but infrastructure failures propagate', async () => {
    const crashing: Tool = {
      ...echo,
      name: 'crash',
      run: async () => {
        throw new Error('disk on fire');
      },
    };
    const broken: Tool = {
      ...echo,
      name: 'broken',
      run: async () => {
        throw new InfrastructureError('Docker engine not reachable');
      },
    };
    const box = new Toolbox([crashing, broken]);
    const outcome = await box.call(call('crash', '{"text":"x"}'), ctx);
    assert.deepEqual([outcome.error, outcome.output], ['tool_failed', 'crash failed: disk on fire']);
    await assert.rejects(box.call(call('broken', '{"text":"x"}'), ctx), InfrastructureError);
  });

  test('an aborted run throws instead of running the tool', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    await assert.rejects(
      toolbox.call(call('echo', '{"text":"x"}'), { ...ctx, signal: controller.signal }),
      /run cancelled/,
    );
  });

  test('two tools with one name are refused', () => {
    assert.throws(() => new Toolbox([echo, echo]), /two tools are named "echo"/);
  });

  test('the default toolbox offers the six tools with OpenAI-format definitions', () => {
    const toolbox = createDefaultToolbox();
    assert.deepEqual(toolbox.names, ['bash', 'view', 'edit', 'search', 'code_map', 'submit']);
    for (const definition of toolbox.definitions) {
      assert.equal(definition.type, 'function');
      assert.equal((definition.function.parameters as { type: string }).type, 'object');
      assert.ok(definition.function.description.length > 20);
    }
  });

  test('edit enforces the fields each command needs', async () => {
    const toolbox = createDefaultToolbox();
    const outcome = await toolbox.call(call('edit', '{"command":"str_replace","path":"a.py","new_str":"x"}'), ctx);
    assert.equal(outcome.error, 'invalid_arguments');
    assert.equal(outcome.output, 'Invalid arguments for edit: missing required argument "old_str".');
  });
});

describe('parseArguments', () => {
  test('unwraps JSON that was encoded twice', () => {
    assert.deepEqual(parseArguments(JSON.stringify(JSON.stringify({ a: 1 }))), { value: { a: 1 } });
  });

  test('refuses arrays, null and bare values', () => {
    assert.deepEqual(parseArguments('[1]'), { error: 'expected a JSON object of named arguments, got an array' });
    assert.deepEqual(parseArguments('null'), { error: 'expected a JSON object of named arguments, got null' });
    assert.deepEqual(parseArguments('"ls"'), { error: 'expected a JSON object of named arguments, got string' });
  });
});
