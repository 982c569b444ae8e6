import type { TurnInput } from '../../../src/core/trajectory/recorder';
import type { RunMetadata, RunResult, ToolSchema } from '../../../src/core/trajectory/types';

export const bashTool: ToolSchema = {
  type: 'function',
  function: {
    name: 'bash',
    description: 'Run a shell command in the repository.',
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  },
};

export function sampleRun(runId: string, taskId = 'demo__calc-1', attempt = 0): RunMetadata {
  return {
    run_id: runId,
    task_id: taskId,
    attempt,
    policy: 'openai:gpt-4o-mini',
    model: { name: 'gpt-4o-mini', provider: 'openai', parameters: { temperature: 0.2, max_tokens: 1024 } },
    tools: [bashTool],
    tool_versions: { 'rollout-studio': '0.1.0' },
    image: { name: 'rollout-studio/python:abc123', digest: 'sha256:0123456789abcdef' },
    base_commit: 'a1b2c3d4',
    started_at: '2026-11-24T10:00:00.000Z',
  };
}

/** A realistic turn: the first one also carries the system prompt and the task. */
export function sampleTurn(
  index: number,
  options: { command?: string; output?: string; prefix?: boolean } = {},
): TurnInput {
  const command = options.command ?? `sed -n '1,40p' calc.py # step ${index}`;
  const output = options.output ?? `def add(a, b):\n    return a - b  # line ${index}\n`;
  const callId = `call_${index}`;
  const prefix =
    (options.prefix ?? index === 0)
      ? [
          { role: 'system' as const, content: 'You are a careful software engineer working in a repository.' },
          { role: 'user' as const, content: 'Fix the bug in calc.add so that the tests pass.' },
        ]
      : [];
  return {
    index,
    started_at: '2026-11-24T10:00:01.000Z',
    messages: [
      ...prefix,
      {
        role: 'assistant',
        content: `Let me look (step ${index}).`,
        tool_calls: [
          { id: callId, type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command }) } },
        ],
      },
      { role: 'tool', tool_call_id: callId, content: output },
    ],
    observations: [
      {
        tool_call_id: callId,
        tool: 'bash',
        arguments: JSON.stringify({ command }),
        output,
        truncated: false,
        exit_code: 0,
      },
    ],
    diff:
      index > 0
        ? 'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n-    return a - b\n+    return a + b\n'
        : '',
    durations_ms: { model: 812, tools: 40, total: 860 },
    tokens: { input: 1200 + index * 100, output: 60 },
    cost_usd: 0.0004,
    signals: { diff_changed: index === 1 ? 1 : 0 },
  };
}

export function sampleResult(
  reward: number | null,
  exit: RunResult['exit_status'] = 'submitted',
): Omit<RunResult, 'ended_at' | 'totals'> {
  return {
    exit_status: exit,
    patch:
      'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n-    return a - b\n+    return a + b\n',
    reward:
      reward === null
        ? null
        : { value: reward, resolved: reward >= 1, report: { FAIL_TO_PASS: { success: ['test_add'], failure: [] } } },
  };
}
