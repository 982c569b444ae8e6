import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { RunResult } from '../../../src/core/trajectory/types';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';
import openaiChat from '../../../src/core/export/schema/openai-chat.schema.json';
import sft from '../../../src/core/export/schema/sft.schema.json';
import dpo from '../../../src/core/export/schema/dpo.schema.json';
import rl from '../../../src/core/export/schema/rl.schema.json';
import preds from '../../../src/core/export/schema/swebench-preds.schema.json';
import traj from '../../../src/core/export/schema/swe-agent-traj.schema.json';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addSchema(openaiChat);

export const validators: Record<string, ValidateFunction> = {
  sft: ajv.compile(sft),
  dpo: ajv.compile(dpo),
  rl: ajv.compile(rl),
  'swebench-preds': ajv.compile(preds),
  'swe-agent-traj': ajv.compile(traj),
};

export function assertValid(format: string, row: unknown): void {
  const validate = validators[format];
  if (!validate(row))
    throw new Error(
      `${format} row fails its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(row).slice(0, 400)}`,
    );
}

export interface RunSpec {
  runId: string;
  taskId: string;
  attempt: number;
  reward: number | null;
  turns: number;
  /** Makes the conversation differ between attempts (identical text makes a duplicate). */
  variant?: string;
  exit?: RunResult['exit_status'];
  unfinished?: boolean;
  logprobs?: boolean;
  /** The model wrote broken JSON as tool-call arguments in the last turn. */
  badArguments?: boolean;
  /** The final patch, when not the sample one. */
  patch?: string;
}

export async function recordRun(out: string, spec: RunSpec): Promise<string> {
  const recorder = await TrajectoryRecorder.start(out, sampleRun(spec.runId, spec.taskId, spec.attempt));
  for (let index = 0; index < spec.turns; index += 1) {
    const turn = sampleTurn(index, { command: `grep -n add calc.py # ${spec.variant ?? spec.runId} ${index}` });
    if (spec.logprobs) turn.logprobs = { token_ids: [101, 102, 103], logprobs: [-0.1, -0.2, -0.05] };
    if (spec.badArguments && index === spec.turns - 1)
      turn.messages[turn.messages.length - 2].tool_calls![0].function.arguments = '{"command": "ls';
    await recorder.recordTurn(turn);
  }
  if (spec.unfinished) await recorder.close();
  else {
    const result = sampleResult(spec.reward, spec.exit ?? (spec.reward === null ? 'infra_error' : 'submitted'));
    await recorder.finish({ ...result, patch: spec.patch ?? result.patch });
  }
  return recorder.path;
}

/**
 * An output folder like `rollout run` writes: three tasks with several attempts each, a duplicate
 * conversation, an infrastructure failure, an unfinished run, a run with broken tool-call JSON, and one
 * log with a corrupted line.
 */
export async function sampleRunsFolder(): Promise<{ out: string; corrupted: string }> {
  const out = mkdtempSync(join(tmpdir(), 'export-runs-'));
  const specs: RunSpec[] = [];
  for (const [t, taskId] of [
    'task-alpha',
    'task-beta',
    'task-gamma',
    'task-delta',
    'task-epsilon',
    'task-zeta',
  ].entries()) {
    specs.push(
      { runId: `${taskId}-a0`, taskId, attempt: 0, reward: 1, turns: 3, logprobs: t === 0 },
      { runId: `${taskId}-a1`, taskId, attempt: 1, reward: 0, turns: 2 },
      { runId: `${taskId}-a2`, taskId, attempt: 2, reward: 0.25, turns: 4 },
    );
  }
  specs.push({
    runId: 'task-alpha-dup',
    taskId: 'task-alpha',
    attempt: 3,
    reward: 1,
    turns: 3,
    variant: 'task-alpha-a0',
    logprobs: true,
  });
  specs.push({ runId: 'task-beta-infra', taskId: 'task-beta', attempt: 4, reward: null, turns: 1 });
  specs.push({
    runId: 'task-beta-cancelled',
    taskId: 'task-beta',
    attempt: 8,
    reward: null,
    turns: 2,
    exit: 'cancelled',
  });
  specs.push({ runId: 'task-beta-unfinished', taskId: 'task-beta', attempt: 5, reward: 1, turns: 2, unfinished: true });
  specs.push({
    runId: 'task-delta-badargs',
    taskId: 'task-delta',
    attempt: 7,
    reward: 0,
    turns: 2,
    badArguments: true,
  });
  specs.push({ runId: 'task-gamma-corrupt', taskId: 'task-gamma', attempt: 6, reward: 1, turns: 2 });
  for (const spec of specs) await recordRun(out, spec);
  const corrupted = join(out, 'task-gamma-corrupt', 'trajectory.jsonl');
  appendFileSync(
    corrupted,
    '{"type":"turn","turn":{"index":2,"messages":[{"role":"robot","content":"?"}],"observations":[]}}\n',
  );
  return { out, corrupted };
}
