import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { RunMetadata, Turn } from '../../../src/core/trajectory/types';

/**
 * Records a synthetic run through the real recorder (the agent loop's own writer), for the playback tests
 * that need shapes no fixture has: a thousand turns, and a log that is still being written.
 */
export async function startSyntheticRun(
  outDir: string,
  runId: string,
  overrides: Partial<RunMetadata> = {},
): Promise<TrajectoryRecorder> {
  const run: RunMetadata = {
    run_id: runId,
    task_id: `synthetic__${runId}`,
    attempt: 0,
    policy: 'synthetic:e2e',
    model: { name: 'none', parameters: {} },
    tools: [],
    tool_versions: { 'rollout-studio': 'e2e' },
    started_at: new Date().toISOString(),
    ...overrides,
  };
  return TrajectoryRecorder.start(outDir, run, { fsync: false });
}

/** Turn `index` edits calc.py (its patch grows by one line per turn) and carries a hostile-looking message. */
export function syntheticTurn(index: number): Omit<Turn, 'index'> {
  const added = Array.from({ length: index + 1 }, (_, line) => `+value_${line} = ${line}`).join('\n');
  const args = JSON.stringify({ command: `echo step ${index} >> log.txt` });
  return {
    messages: [
      {
        role: 'assistant',
        content: `Step ${index}: <img src=x onerror="alert(1)"> <script>window.pwned=1</script>`,
        tool_calls: [{ id: `call_${index}`, type: 'function', function: { name: 'bash', arguments: args } }],
      },
      { role: 'tool', content: `ran step ${index}`, tool_call_id: `call_${index}` },
    ],
    observations: [
      {
        tool_call_id: `call_${index}`,
        tool: 'bash',
        arguments: args,
        output: `ran step ${index}`,
        truncated: false,
        exit_code: 0,
      },
    ],
    diff: `diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -0,0 +1,${index + 1} @@\n${added}\n`,
    signals: { diff_changed: index % 10 === 0 ? 1 : 0 },
  };
}
