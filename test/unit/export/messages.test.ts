import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportMessage, exportTurns, styled, type ExportMessage } from '../../../src/core/export/messages';
import { sampleTurn } from '../trajectory/sampleTrajectory';

test('--tool-calls text joins user messages in a row, so roles alternate as torchtune requires', () => {
  const call = { id: 'call_1', type: 'function' as const, function: { name: 'bash', arguments: { command: 'ls' } } };
  const messages: ExportMessage[] = [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'Fix calc.add.' },
    { role: 'user', content: '[2 earlier turns were removed]' },
    { role: 'assistant', content: '', tool_calls: [call, { ...call, id: 'call_2' }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'calc.py' },
    { role: 'tool', tool_call_id: 'call_2', content: 'calc.py' },
    { role: 'user', content: 'The tests still fail.' },
    { role: 'assistant', content: 'Done.' },
  ];
  assert.deepEqual(styled(messages, { toolArguments: 'object', toolCalls: 'text' }), [
    { role: 'system', content: 'You fix bugs.' },
    { role: 'user', content: 'Fix calc.add.\n\n[2 earlier turns were removed]' },
    {
      role: 'assistant',
      content: '{"name":"bash","parameters":{"command":"ls"}}\n{"name":"bash","parameters":{"command":"ls"}}',
    },
    { role: 'user', content: 'calc.py\n\ncalc.py\n\nThe tests still fail.' },
    { role: 'assistant', content: 'Done.' },
  ]);
});

test("exported tool calls carry the chat format's fields only: a server's extra_content (Gemini's thought signature) stays in the record", () => {
  const call = { id: 'call_1', type: 'function' as const, function: { name: 'bash', arguments: '{"command":"ls"}' } };
  const signed = { ...call, extra_content: { google: { thought_signature: 'EjQKMgEMOdbHJChLX75QUCJj==' } } };
  for (const toolArguments of ['object', 'string'] as const)
    assert.deepEqual(
      exportMessage({ role: 'assistant', content: null, tool_calls: [signed] }, { toolArguments }).tool_calls,
      exportMessage({ role: 'assistant', content: null, tool_calls: [call] }, { toolArguments }).tool_calls,
    );
});

test("SFT and DPO messages carry the turn's reasoning, never OpenRouter's reasoning blocks (reasoning_details) kept to go back", () => {
  const turn = { ...sampleTurn(0), index: 0, reasoning: 'Look at calc.py.' };
  const plain = exportTurns([turn]);
  const reply = turn.messages.findIndex((message) => message.role === 'assistant');
  turn.messages[reply] = {
    ...turn.messages[reply],
    extra: {
      reasoning_sent_back: { field: 'reasoning', text: 'Look at calc.py.' },
      reasoning_details: [{ type: 'reasoning.text', text: 'Look at calc.py.', signature: 'sig-or-1', index: 0 }],
    },
  };
  assert.deepEqual(exportTurns([turn]), plain);
  assert.equal(plain[reply].reasoning_content, 'Look at calc.py.');
});
