import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTextToolCalls } from '../../../src/core/agent/textToolCalls';

const TOOLS = ['bash', 'view', 'submit'];

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
    assert.equal(parseTextToolCalls('```bash\nls\n```', ['view'], 1), undefined, 'no bash tool, no bash calls');
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
