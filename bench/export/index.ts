/**
 * Export throughput and peak memory on synthetic trajectories of realistic size, against `cat` of the
 * same bytes in the same run. Each export runs in a child process so its peak RSS is its own.
 *   node scripts/bench.mjs export [--runs 10000]
 * Prints its figures last as one JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset } from '../../src/core/export/exporter';
import type { ExportFormatName } from '../../src/core/export/format';
import { catSeconds, generate } from '../syntheticRuns';

const TARGET_PEAK_MB = 200;

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
