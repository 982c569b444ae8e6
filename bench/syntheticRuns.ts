/**
 * Synthetic trajectories of realistic size for the benchmarks that read many runs (bench/export, bench/report):
 * the same bytes on every run of a benchmark, written by a seeded generator.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRAJECTORY_SCHEMA_VERSION, type RunMetadata, type Turn } from '../src/core/trajectory/types';

const RUNS_PER_SHARD = 1000;
export const ATTEMPTS_PER_TASK = 4;

/** Deterministic pseudo-random numbers, so every bench run writes the same bytes. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

const CODE_LINE =
  '    result = compute_total(items, discount=discount_rate) if items else default_value  # keep in sync\n';

function text(random: () => number, minBytes: number, maxBytes: number): string {
  const bytes = minBytes + Math.floor(random() * (maxBytes - minBytes));
  return CODE_LINE.repeat(Math.ceil(bytes / CODE_LINE.length)).slice(0, bytes);
}

export interface SyntheticRunOptions {
  /** Policy specs, given to runs in turn (attempt k of a task gets policies[k % length]); default one. */
  policies?: string[];
}

/** One run shaped like a real coding-agent rollout: 5–30 turns, tool outputs of 0.5–6 KB, a growing diff. */
export function syntheticRun(index: number, options: SyntheticRunOptions = {}): string {
  const random = prng(index + 1);
  const taskIndex = Math.floor(index / ATTEMPTS_PER_TASK);
  const taskRandom = prng(1_000_000 + taskIndex);
  const taskId = `synthetic__repo-${taskIndex}`;
  const run: RunMetadata = {
    run_id: `run-${index}`,
    task_id: taskId,
    attempt: index % ATTEMPTS_PER_TASK,
    policy: options.policies?.[index % options.policies.length] ?? 'openai:gpt-4o-mini',
    model: { name: 'gpt-4o-mini', provider: 'openai', parameters: { temperature: 0.7 } },
    tools: ['bash', 'view', 'edit', 'search', 'submit'].map((name) => ({
      type: 'function' as const,
      function: {
        name,
        description: `The ${name} tool.`,
        parameters: { type: 'object', properties: { command: { type: 'string' } } },
      },
    })),
    tool_versions: { 'rollout-studio': '0.1.0' },
    image: { name: 'rollout-studio/python:bench', digest: 'sha256:feed' },
    base_commit: 'deadbeef',
    started_at: '2026-11-24T10:00:00.000Z',
  };
  const lines = [JSON.stringify({ type: 'run_started', schema_version: TRAJECTORY_SCHEMA_VERSION, run })];
  const turns = 5 + Math.floor(random() * 26);
  let diff = '';
  for (let t = 0; t < turns; t += 1) {
    const id = `call_${index}_${t}`;
    const output = text(random, 500, 6000);
    diff += `@@ -${t},1 +${t},1 @@\n-${CODE_LINE}+${CODE_LINE}`;
    const turn: Turn = {
      index: t,
      messages: [
        // Attempts at a task share its system prompt and statement, as real batches do.
        ...(t === 0
          ? [
              { role: 'system' as const, content: text(taskRandom, 1500, 2500) },
              { role: 'user' as const, content: `Task ${taskId}: ${text(taskRandom, 500, 2000)}` },
            ]
          : []),
        {
          role: 'assistant',
          content: `Step ${t} of attempt ${index}: ${text(random, 100, 600)}`,
          tool_calls: [
            {
              id,
              type: 'function',
              function: {
                name: 'bash',
                arguments: JSON.stringify({ command: `grep -n compute_total src/app_${t}.py` }),
              },
            },
          ],
        },
        { role: 'tool', tool_call_id: id, content: output },
      ],
      observations: [{ tool_call_id: id, tool: 'bash', output, truncated: false, exit_code: 0 }],
      diff: `diff --git a/src/app.py b/src/app.py\n${diff}`,
      durations_ms: { model: 900, tools: 120, total: 1030 },
      tokens: { input: 2000 + t * 900, output: 150 },
      cost_usd: 0.0006,
    };
    lines.push(JSON.stringify({ type: 'turn', turn }));
  }
  const reward = random() < 0.4 ? 1 : random() < 0.5 ? 0.5 : 0;
  lines.push(
    JSON.stringify({
      type: 'run_finished',
      result: {
        exit_status: 'submitted',
        ended_at: '2026-11-24T10:05:00.000Z',
        patch: `diff --git a/src/app.py b/src/app.py\n${diff}`,
        reward: { value: reward, resolved: reward === 1 },
      },
    }),
  );
  return `${lines.join('\n')}\n`;
}

/** Writes `runs` synthetic runs under root/shard-N/run-I/; returns their total size in bytes. */
export function generate(root: string, runs: number, options: SyntheticRunOptions = {}): number {
  let bytes = 0;
  for (let i = 0; i < runs; i += 1) {
    const dir = join(root, `shard-${Math.floor(i / RUNS_PER_SHARD)}`, `run-${i}`);
    mkdirSync(dir, { recursive: true });
    const content = syntheticRun(i, options);
    bytes += Buffer.byteLength(content);
    writeFileSync(join(dir, 'trajectory.jsonl'), content);
  }
  return bytes;
}

/** Seconds to `cat` every log under root: the floor for anything that reads them all. */
export function catSeconds(root: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync('sh', ['-c', `find "${root}" -name trajectory.jsonl -print0 | xargs -0 cat > /dev/null`]);
  if (result.status !== 0) throw new Error(`cat baseline failed: ${result.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
