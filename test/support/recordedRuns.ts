import { TrajectoryRecorder } from '../../src/core/trajectory/recorder';
import type { RunMetadata } from '../../src/core/trajectory/types';

/** Deterministic pseudo-random numbers, so the recorded runs are the same on every machine. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

export interface RecordedRunsShape {
  /** Tasks, each tried 4 times. Default 10. */
  tasks?: number;
  /** How often a run's last test run agrees with its outcome (passes when solved, fails when not). Default 0.85. */
  lastTestAgreement?: number;
}

/** Records real trajectory logs (the project's recorder): tasks × 4 attempts; solved runs tend to end on a passing test. */
export async function recordRuns(
  out: string,
  { tasks = 10, lastTestAgreement = 0.85 }: RecordedRunsShape = {},
): Promise<void> {
  const next = random(7);
  for (let task = 0; task < tasks; task += 1) {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const solved = next() < 0.5;
      const run: RunMetadata = {
        run_id: `task-${task}-a${attempt}`,
        task_id: `task-${task}`,
        attempt,
        policy: 'openai:scripted',
        model: { name: 'scripted', parameters: {} },
        tools: [],
        tool_versions: {},
        started_at: new Date(0).toISOString(),
      };
      const recorder = await TrajectoryRecorder.start(out, run, { fsync: false });
      const turns = 1 + Math.floor(next() * 5);
      for (let turn = 0; turn < turns; turn += 1) {
        const last = turn === turns - 1;
        const command = last ? 'pytest -q' : ['ls', 'ls -la', 'cat README.md', 'git status'][Math.floor(next() * 4)];
        const opening =
          turn === 0
            ? [
                { role: 'system' as const, content: 'You are a coding agent.' },
                { role: 'user' as const, content: `Fix task ${task}.` },
              ]
            : [];
        const passed = last ? (next() < lastTestAgreement ? solved : !solved) : true;
        await recorder.recordTurn({
          messages: [
            ...opening,
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: `c${turn}`,
                  type: 'function',
                  function: { name: 'bash', arguments: JSON.stringify({ command }) },
                },
              ],
            },
            { role: 'tool', tool_call_id: `c${turn}`, content: passed ? 'ok' : 'FAILED' },
          ],
          observations: [
            {
              tool_call_id: `c${turn}`,
              tool: 'bash',
              arguments: JSON.stringify({ command }),
              output: passed ? 'ok' : 'FAILED',
              truncated: false,
              exit_code: passed ? 0 : 1,
            },
          ],
          tokens: { input: 100, output: Math.floor(next() * 200) },
        });
      }
      const patch =
        solved || next() < 0.5
          ? 'diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@ def f():\n-    return 1\n+    return 2\n'
          : '';
      await recorder.finish({
        exit_status: next() < 0.8 ? 'submitted' : 'turn_limit',
        patch,
        reward: { value: solved ? 1 : 0, resolved: solved },
      });
      await recorder.close();
    }
  }
}
