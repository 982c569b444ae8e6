/**
 * One `rollout run` of a task file's task with a scripted model (OpenAI's wire format), in this process: its
 * trajectory, read back from the run folder.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/cli/commands/run';
import { readTrajectoryLog } from '../../src/core/trajectory/reader';
import type { Trajectory } from '../../src/core/trajectory/types';
import { runCaptured } from './cliCapture';
import { ScriptedOpenAIServer } from './scriptedOpenAIServer';

export interface ScriptedTaskRun {
  taskFile: string;
  taskId: string;
  /** The key the scripted server asks for (the run reads it from OPENAI_API_KEY). */
  apiKey: string;
  steps: Parameters<typeof ScriptedOpenAIServer.start>[0];
  out: string;
}

export async function runScriptedTask({ taskFile, taskId, apiKey, steps, out }: ScriptedTaskRun): Promise<Trajectory> {
  const server = await ScriptedOpenAIServer.start(steps, { apiKey });
  try {
    const policy = `openai:scripted@${server.baseURL}`;
    const result = await runCaptured(runCommand, ['--tasks', taskFile, '--policy', policy, '--out', out]);
    assert.equal(result.code, 0, `${result.out}\n${result.err}`);
  } finally {
    await server.close();
  }
  const [runId] = readdirSync(out).filter((name) => name.startsWith(taskId));
  const { trajectory } = await readTrajectoryLog(join(out, runId, 'trajectory.jsonl'));
  assert.ok(trajectory);
  return trajectory;
}
