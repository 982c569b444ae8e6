import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTextToolCalls, type TextCallFormat } from '../../../src/core/agent/textToolCalls';
import { bashTool } from '../../../src/core/agent/tools/bash';
import { submitTool } from '../../../src/core/agent/tools/submit';
import { Toolbox } from '../../../src/core/agent/tools/toolbox';
import type { ToolDefinition } from '../../../src/core/agent/tools/tool';
import { viewTool } from '../../../src/core/agent/tools/view';

const TOOLS = new Toolbox([bashTool(), viewTool(), submitTool()]).definitions;

describe('tool calls written as text', () => {
  test('Hermes / Qwen <tool_call> blocks become calls, and leave the text', () => {
    const text =
      'I will look first.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls -la"}}\n</tool_call>\n<tool_call>{"name": "view", "arguments": {"path": "a.py"}}</tool_call>';
    assert.deepEqual(parseTextToolCalls(text, TOOLS, 3), {
      format: 'hermes',
      content: 'I will look first.',
      calls: [
        { id: 'T00003C00', type: 'function', function: { name: 'bash', arguments: '{"command":"ls -la"}' } },
        { id: 'T00003C01', type: 'function', function: { name: 'view', arguments: '{"path":"a.py"}' } },
      ],
    });
  });

  test('a malformed <tool_call> block is a problem to tell the model, naming the block', () => {
    const parsed = parseTextToolCalls('<tool_call>{"name": "bash", "arguments": {</tool_call>', TOOLS, 1);
    assert.ok(parsed && 'problem' in parsed);
    assert.match(parsed.problem, /Your <tool_call> block 1 is not a JSON object/);
  });

  test('a call object alone, or in a ```json fence, when it names a known tool', () => {
    assert.deepEqual(parseTextToolCalls('{"name": "submit", "arguments": {"summary": "done"}}', TOOLS, 1), {
      format: 'json',
      content: '',
      calls: [{ id: 'T00001C00', type: 'function', function: { name: 'submit', arguments: '{"summary":"done"}' } }],
    });
    const fenced = parseTextToolCalls(
      'Running:\n```json\n{"name": "bash", "parameters": {"command": "pytest"}}\n```',
      TOOLS,
      1,
    );
    assert.deepEqual(fenced, {
      format: 'json',
      content: 'Running:',
      calls: [{ id: 'T00001C00', type: 'function', function: { name: 'bash', arguments: '{"command":"pytest"}' } }],
    });
    assert.equal(parseTextToolCalls('```json\n{"name": "deploy", "arguments": {}}\n```', TOOLS, 1), undefined);
  });

  test("exactly one ```bash block is a bash call (mini-swe-agent's convention); more than one is a problem", () => {
    assert.deepEqual(parseTextToolCalls('THOUGHT: list files.\n\n```bash\nls -la && cat a.py\n```', TOOLS, 1), {
      format: 'bash_block',
      content: 'THOUGHT: list files.',
      calls: [
        {
          id: 'T00001C00',
          type: 'function',
          function: { name: 'bash', arguments: '{"command":"ls -la && cat a.py"}' },
        },
      ],
    });
    const two = parseTextToolCalls('```bash\nls\n```\nthen\n```sh\npwd\n```', TOOLS, 1);
    assert.ok(two && 'problem' in two);
    assert.match(two.problem, /has 2 bash blocks; write exactly one/);
    assert.equal(
      parseTextToolCalls('```bash\nls\n```', new Toolbox([viewTool()]).definitions, 1),
      undefined,
      'no bash tool, no bash calls',
    );
    assert.equal(
      parseTextToolCalls('Run this:\n```bash\npip install -U smolagents\n```', TOOLS, 1, { bashBlocks: false }),
      undefined,
      'in an answer to a person, a command is advice',
    );
  });

  test('plain prose, or code in another language, holds no call', () => {
    assert.equal(parseTextToolCalls('The fix is to use ceil division.', TOOLS, 1), undefined);
    assert.equal(parseTextToolCalls('```python\nprint(1)\n```', TOOLS, 1), undefined);
  });
});

/**
 * A fixture of replies with calls written as a model family writes them, and what vLLM's parser for that family read
 * of each (its SOURCE.md says how the parser was run): one test per reply, that the agent reads the same calls.
 */
function readsAsVllmParser(fixture: string, format: TextCallFormat): ParserCases {
  const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', fixture);
  const given = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as ParserCases;
  const readings = JSON.parse(readFileSync(join(fixtures, 'readings.json'), 'utf8')) as {
    name: string;
    calls: { name: string; arguments: unknown }[];
  }[];
  for (const [index, { name, text }] of given.cases.entries())
    test(`${name}: the calls vLLM's ${format} parser read`, () => {
      assert.equal(readings[index].name, name);
      const parsed = parseTextToolCalls(text, given.tools, 1);
      assert.ok(!parsed || 'calls' in parsed, JSON.stringify(parsed));
      const calls = (parsed?.calls ?? []).map((call) => ({
        name: call.function.name,
        arguments: jsonOrText(call.function.arguments),
      }));
      assert.deepEqual(calls, readings[index].calls);
      if (calls.length) assert.equal(parsed?.format, format);
    });
  return given;
}

/** A call's arguments as the JSON they are, or as the text the model wrote where that is no JSON (as the oracle has them). */
function jsonOrText(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

interface ParserCases {
  tools: ToolDefinition[];
  cases: { name: string; text: string }[];
}

describe("Qwen3-Coder's calls written as text, read as vLLM's qwen3_coder parser reads them", () => {
  const given = readsAsVllmParser('qwen3-coder-tool-calls', 'qwen3_coder');

  test("the text around the calls stays the reply; the ids are the loop's own", () => {
    const parsed = parseTextToolCalls(given.cases[2].text, given.tools, 4);
    assert.ok(parsed && 'calls' in parsed);
    assert.equal(parsed.content, 'Look at both.\n\nThen:');
    assert.deepEqual(
      parsed.calls.map((call) => call.id),
      ['T00004C00', 'T00004C01'],
    );
  });

  test('a function or parameter without ">" after its name is a problem told to the model (vLLM reads no call)', () => {
    for (const text of [
      '<tool_call>\n<function=bash\n</function>\n</tool_call>',
      '<function=bash>\n<parameter=command ls',
    ]) {
      const parsed = parseTextToolCalls(text, given.tools, 1);
      assert.ok(parsed && 'problem' in parsed, JSON.stringify(parsed));
      assert.match(parsed.problem, /no ">" after a name in <function=…> or <parameter=…>/);
    }
  });
});

describe("GLM-4.5's calls written as text, read as vLLM's glm45 parser reads them", () => {
  const given = readsAsVllmParser('glm45-tool-calls', 'glm45');

  test("the text around the calls stays the reply; the ids are the loop's own", () => {
    const text = `Look first.\n${given.cases[4].text}\nThen decide.`;
    const parsed = parseTextToolCalls(text, given.tools, 4);
    assert.ok(parsed && 'calls' in parsed);
    assert.equal(parsed.content, 'Look first.\n\nThen decide.');
    assert.deepEqual(
      parsed.calls.map((call) => call.id),
      ['T00004C00', 'T00004C01'],
    );
  });

  test('a block without a line break after the name is a problem told to the model (vLLM reads no call)', () => {
    const parsed = parseTextToolCalls('<tool_call>submit</tool_call>', given.tools, 1);
    assert.ok(parsed && 'problem' in parsed, JSON.stringify(parsed));
    assert.match(parsed.problem, /no line break after the tool's name/);
  });

  test('a Hermes JSON block is still read as Hermes, and a JSON array in a block is no GLM call', () => {
    const parsed = parseTextToolCalls(
      '<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>',
      given.tools,
      1,
    );
    assert.ok(parsed && 'calls' in parsed);
    assert.equal(parsed.format, 'hermes');
    const array = parseTextToolCalls('<tool_call>[{"name": "bash",\n"arguments": {}}]</tool_call>', given.tools, 1);
    assert.ok(array && 'problem' in array && /not a JSON object/.test(array.problem), JSON.stringify(array));
  });
});

describe("MiniMax-M2's calls written as text, read as vLLM's minimax_m2 parser reads them", () => {
  const given = readsAsVllmParser('minimax-m2-tool-calls', 'minimax_m2');

  test("the text around the calls stays the reply; the ids are the loop's own", () => {
    const parsed = parseTextToolCalls(`${given.cases[4].text}\nThen decide.`, given.tools, 2);
    assert.ok(parsed && 'calls' in parsed);
    assert.equal(parsed.content, 'Then decide.');
    assert.deepEqual(
      parsed.calls.map((call) => call.id),
      ['T00002C00', 'T00002C01'],
    );
  });

  test('an invoke without a name is a problem told to the model (vLLM drops that call)', () => {
    const text = '<minimax:tool_call>\n<invoke name=>\n</invoke>\n</minimax:tool_call>';
    const parsed = parseTextToolCalls(text, given.tools, 1);
    assert.ok(parsed && 'problem' in parsed, JSON.stringify(parsed));
    assert.match(parsed.problem, /<invoke> has no name/);
  });
});

describe("Kimi K2's and DeepSeek-V3.1's calls written between their special tokens, read as vLLM's parsers read them", () => {
  readsAsVllmParser('kimi-k2-tool-calls', 'kimi_k2');
  const deepSeek = readsAsVllmParser('deepseek-v31-tool-calls', 'deepseek_v31');

  test("the text outside the calls' section stays the reply; the ids are the loop's own", () => {
    const text = `Look first.${deepSeek.cases[1].text.replace('<｜tool▁calls▁end｜>', '<｜tool▁calls▁end｜>Then decide.')}`;
    const parsed = parseTextToolCalls(text, deepSeek.tools, 3);
    assert.ok(parsed && 'calls' in parsed);
    assert.equal(parsed.content, 'Look first.\n\nThen decide.');
    assert.deepEqual(
      parsed.calls.map((call) => call.id),
      ['T00003C00', 'T00003C01'],
    );
  });

  test("DeepSeek-V3.1's arguments written over several lines are read (vLLM's pattern stops at a line break)", () => {
    const text =
      '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bash<｜tool▁sep｜>{\n  "command": "ls"\n}<｜tool▁call▁end｜><｜tool▁calls▁end｜>';
    const parsed = parseTextToolCalls(text, deepSeek.tools, 1);
    assert.ok(parsed && 'calls' in parsed, JSON.stringify(parsed));
    assert.deepEqual(JSON.parse(parsed.calls[0].function.arguments), { command: 'ls' });
  });

  test('a section without a whole call is a problem told to the model (vLLM reads no call)', () => {
    for (const text of [
      '<|tool_calls_section_begin|><|tool_call_begin|>functions.bash<|tool_call_argument_begin|>{}<|tool_call_end|>',
      '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bash<｜tool▁sep｜>{"command": "ls',
    ]) {
      const parsed = parseTextToolCalls(text, deepSeek.tools, 1);
      assert.ok(parsed && 'problem' in parsed, JSON.stringify(parsed));
      assert.match(parsed.problem, /section holds no whole call/);
    }
  });
});
