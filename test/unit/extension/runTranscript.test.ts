import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { runTranscript } from '../../../src/extension/results/runTranscript';

const trajectory: Trajectory = {
  run: {
    run_id: 'run-a',
    task_id: 'calc-1',
    attempt: 1,
    policy: 'openai:gpt-4o',
    model: { name: 'gpt-4o', parameters: {} },
    tools: [],
    tool_versions: {},
    started_at: '2026-12-02T05:00:00.000Z',
  },
  turns: [
    {
      index: 0,
      messages: [
        {
          role: 'assistant',
          content: 'Let me look.',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
        },
        { role: 'tool', content: 'calc.py', tool_call_id: 'c1' },
      ],
      observations: [
        {
          tool_call_id: 'c1',
          tool: 'bash',
          output: Array.from({ length: 15 }, (_, line) => `line ${line}`).join('\n'),
          truncated: false,
          exit_code: 0,
        },
      ],
      diff: 'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-a\n+b\n',
    },
  ],
  events: [],
  result: {
    exit_status: 'submitted',
    ended_at: '2026-12-02T05:01:00.000Z',
    patch: '',
    reward: { value: 1, resolved: true },
  },
};

describe('a run as text, turn by turn, for Compare with…', () => {
  test('names the run and its outcome, then each turn: messages, calls, outputs cut to 12 lines, files changed', () => {
    const text = runTranscript(trajectory);
    assert.match(
      text,
      /^run run-a · task calc-1 · attempt 2 · openai:gpt-4o\noutcome: submitted, reward 1, resolved\n/,
    );
    assert.match(
      text,
      /── turn 1 ──\nassistant: Let me look\.\n→ bash \{"command":"ls"\}\n← bash \(exit 0\)\n {2}line 0\n/,
    );
    assert.match(text, / {2}line 11\n {2}… 3 more lines\nfiles changed: calc\.py\n$/);
    assert.doesNotMatch(text, /line 12/);
  });
});
