import assert from 'node:assert/strict';
import { test } from 'node:test';
import { styled, type ExportMessage } from '../../../src/core/export/messages';

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
