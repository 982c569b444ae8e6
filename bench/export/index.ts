/**
 * Export throughput and peak memory on synthetic trajectories of realistic size, against `cat` of the
 * same bytes in the same run. Each export runs in a child process so its peak RSS is its own.
 *   node out/bench/export/index.js [--runs 10000]
 * Prints its figures last as one JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset } from '../../src/core/export/exporter';
import type { ExportFormatName } from '../../src/core/export/format';
import { TRAJECTORY_SCHEMA_VERSION, type RunMetadata, type Turn } from '../../src/core/trajectory/types';

const RUNS_PER_SHARD = 1000;
const ATTEMPTS_PER_TASK = 4;
const TARGET_PEAK_MB = 200;

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

/** One run shaped like a real coding-agent rollout: 5–30 turns, tool outputs of 0.5–6 KB, a growing diff. */
function syntheticRun(index: number): string {
  const random = prng(index + 1);
  const taskIndex = Math.floor(index / ATTEMPTS_PER_TASK);
  const taskRandom = prng(1_000_000 + taskIndex);
  const taskId = `synthetic__repo-${taskIndex}`;
  const run: RunMetadata = {
    run_id: `run-${index}`,
    task_id: taskId,
    attempt: index % ATTEMPTS_PER_TASK,
    policy: 'openai:gpt-4o-mini',
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

function generate(root: string, runs: number): number {
  let bytes = 0;
  for (let i = 0; i < runs; i += 1) {
    const dir = join(root, `shard-${Math.floor(i / RUNS_PER_SHARD)}`, `run-${i}`);
    mkdirSync(dir, { recursive: true });
    const content = syntheticRun(i);
    bytes += Buffer.byteLength(content);
    writeFileSync(join(dir, 'trajectory.jsonl'), content);
  }
  return bytes;
}

function catSeconds(root: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync('sh', ['-c', `find "${root}" -name trajectory.jsonl -print0 | xargs -0 cat > /dev/null`]);
  if (result.status !== 0) throw new Error(`cat baseline failed: ${result.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface ChildReport {
  seconds: number;
  peak_rss_mb: number;
  runs: number;
  rows: number;
}

/** Child mode: one export, then its own wall time and peak RSS on stdout. */
async function child(format: ExportFormatName, runs: string, out: string): Promise<void> {
  const started = process.hrtime.bigint();
  const summary = await exportDataset({
    runs: [runs],
    format,
    out,
    command: 'bench',
    split: format === 'swebench-preds' ? undefined : { name: 'val', fraction: 0.1 },
  });
  const report: ChildReport = {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    runs: summary.stats.runs,
    rows: summary.stats.rows,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(format: ExportFormatName, runs: string, out: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [__filename, '--child', format, runs, out], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport)
        : reject(new Error(`export child exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1] as ExportFormatName, args[2], args[3]);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 10_000;
  const root = mkdtempSync(join(tmpdir(), 'bench-export-'));
  try {
    const genStarted = Date.now();
    const bytes = generate(join(root, 'runs'), runs);
    const mb = bytes / 1e6;
    console.log(
      `generated ${runs} trajectories, ${mb.toFixed(0)} MB (${(bytes / runs / 1e3).toFixed(0)} KB each) in ${((Date.now() - genStarted) / 1000).toFixed(1)} s`,
    );
    // Flush the generated files first, so their write-back does not slow whichever export runs first.
    spawnSync('sync');
    const cat = catSeconds(join(root, 'runs'));
    console.log(`cat: ${cat.toFixed(2)} s, ${(mb / cat).toFixed(0)} MB/s`);
    const results: Record<string, unknown> = {};
    for (const format of ['sft', 'dpo', 'rl'] as ExportFormatName[]) {
      const report = await runChild(format, join(root, 'runs'), join(root, `out-${format}`));
      rmSync(join(root, `out-${format}`), { recursive: true, force: true });
      results[format] = {
        seconds: Number(report.seconds.toFixed(2)),
        mb_per_s: Number((mb / report.seconds).toFixed(1)),
        trajectories_per_s: Number((runs / report.seconds).toFixed(0)),
        rows: report.rows,
        peak_rss_mb: Number(report.peak_rss_mb.toFixed(1)),
        slowdown_vs_cat: Number((report.seconds / cat).toFixed(1)),
      };
      console.log(`${format}: ${JSON.stringify(results[format])}`);
    }
    // The same export on a tenth of the data: peak memory should not grow with the input.
    const small = await runChild('sft', join(root, 'runs', 'shard-0'), join(root, 'out-small'));
    const sft = results.sft as { peak_rss_mb: number };
    const peaks = ['sft', 'dpo', 'rl'].map((format) => (results[format] as { peak_rss_mb: number }).peak_rss_mb);
    console.log(
      JSON.stringify({
        bench: 'export',
        trajectories: runs,
        input_mb: Number(mb.toFixed(1)),
        cat_seconds: Number(cat.toFixed(2)),
        cat_mb_per_s: Number((mb / cat).toFixed(0)),
        ...results,
        sft_peak_rss_mb_on_tenth_of_input: Number(small.peak_rss_mb.toFixed(1)),
        sft_peak_growth_10x_input: Number((sft.peak_rss_mb / small.peak_rss_mb).toFixed(2)),
        target_peak_rss_mb: TARGET_PEAK_MB,
        meets_target: peaks.every((peak) => peak < TARGET_PEAK_MB),
      }),
    );
  } finally {
    // BENCH_EXPORT_KEEP=1 keeps the generated runs, e.g. to profile one export with `--child`.
    if (process.env.BENCH_EXPORT_KEEP === '1') console.error(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
