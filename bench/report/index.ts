/**
 * `rollout report` over many runs: wall time and peak memory of the whole report (reading every log, the
 * analytics, bootstrap intervals, paired tests, JSON and HTML), against `cat` of the same bytes and a bare
 * read that only parses every line, measured in the same run. The report runs twice: cold (no facts kept yet:
 * every log is read, and its facts are kept in the folder's index) and warm (the same runs again, served
 * from the index). Each reader runs in a child process so that its peak RSS is its own.
 *   node scripts/bench.mjs report [--runs 10000]
 * Prints its figures last as one JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtmlReport } from '../../src/core/report/html';
import { createReport } from '../../src/core/report/report';
import { readLines } from '../../src/core/trajectory/lines';
import { findTrajectoryLogs } from '../../src/core/trajectory/reader';
import { catSeconds, generate } from '../syntheticRuns';

const TARGET_SECONDS = 10;
const TARGET_PEAK_MB = 300;
const POLICIES = ['openai:model-a', 'openai:model-b'];

interface ChildReport {
  seconds: number;
  /** User and system CPU time: what the wall time would be on an idle core, for one thread. */
  cpu_seconds: number;
  peak_rss_mb: number;
  runs: number;
}

/** Every line of every log through JSON.parse and nothing else: the least any reader of the runs must do. */
async function parseOnly(root: string): Promise<number> {
  let runs = 0;
  for await (const log of findTrajectoryLogs([root])) {
    for await (const line of readLines(log)) if (line.text) JSON.parse(line.text);
    runs += 1;
  }
  return runs;
}

/** The whole of `rollout report RUNS --json --html`. */
async function fullReport(root: string, out: string): Promise<number> {
  const { report } = await createReport({ runs: [root] });
  writeFileSync(join(out, 'report.json'), JSON.stringify(report));
  writeFileSync(join(out, 'report.html'), await renderHtmlReport(report));
  return report.runs;
}

async function child(mode: string, root: string, out: string): Promise<void> {
  const started = process.hrtime.bigint();
  const runs = mode === 'parse' ? await parseOnly(root) : await fullReport(root, out);
  const report: ChildReport = {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpu_seconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    runs,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(mode: string, root: string, out: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [__filename, '--child', mode, root, out], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport)
        : reject(new Error(`${mode} child exited ${code}`)),
    );
  });
}

function figures(name: 'cold' | 'warm', report: ChildReport, runs: number): Record<string, number> {
  return {
    [`${name}_seconds`]: Number(report.seconds.toFixed(2)),
    [`${name}_runs_per_s`]: Number((runs / report.seconds).toFixed(0)),
    [`${name}_cpu_seconds`]: Number(report.cpu_seconds.toFixed(2)),
    [`${name}_peak_rss_mb`]: Number(report.peak_rss_mb.toFixed(1)),
  };
}

/** The report a child wrote, less the time it was generated at. */
function reportWithoutTime(out: string): string {
  return JSON.stringify({ ...JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), generatedAt: undefined });
}

function meetsTarget(report: ChildReport): boolean {
  return report.seconds < TARGET_SECONDS && report.peak_rss_mb < TARGET_PEAK_MB;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2], args[3]);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 10_000;
  const root = mkdtempSync(join(tmpdir(), 'bench-report-'));
  try {
    const bytes = generate(join(root, 'runs'), runs, { policies: POLICIES });
    const mb = bytes / 1e6;
    console.log(
      `generated ${runs} runs of ${POLICIES.length} policies, ${mb.toFixed(0)} MB (${(bytes / runs / 1e3).toFixed(0)} KB each)`,
    );
    spawnSync('sync');
    const cat = catSeconds(join(root, 'runs'));
    const parse = await runChild('parse', join(root, 'runs'), root);
    const [coldOut, warmOut] = [join(root, 'cold'), join(root, 'warm')];
    [coldOut, warmOut].forEach((out) => mkdirSync(out));
    const cold = await runChild('report', join(root, 'runs'), coldOut);
    const warm = await runChild('report', join(root, 'runs'), warmOut);
    for (const report of [cold, warm])
      if (report.runs !== runs) throw new Error(`the report counted ${report.runs} runs of ${runs}`);
    if (reportWithoutTime(coldOut) !== reportWithoutTime(warmOut))
      throw new Error('the warm report differs from the cold one');
    console.log(
      `cat ${cat.toFixed(2)} s; parse only ${parse.seconds.toFixed(2)} s; report cold ${cold.seconds.toFixed(2)} s, warm ${warm.seconds.toFixed(2)} s`,
    );
    console.log(
      JSON.stringify({
        bench: 'report',
        runs,
        input_mb: Number(mb.toFixed(1)),
        ...figures('cold', cold, runs),
        ...figures('warm', warm, runs),
        cat_seconds: Number(cat.toFixed(2)),
        parse_only_seconds: Number(parse.seconds.toFixed(2)),
        parse_only_cpu_seconds: Number(parse.cpu_seconds.toFixed(2)),
        parse_only_peak_rss_mb: Number(parse.peak_rss_mb.toFixed(1)),
        cold_vs_parse_only: Number((cold.seconds / parse.seconds).toFixed(2)),
        warm_vs_cold: Number((warm.seconds / cold.seconds).toFixed(3)),
        target_seconds: TARGET_SECONDS,
        target_peak_rss_mb: TARGET_PEAK_MB,
        cold_meets_target: meetsTarget(cold),
        warm_meets_target: meetsTarget(warm),
      }),
    );
  } finally {
    // BENCH_REPORT_KEEP=1 keeps the generated runs, e.g. to profile the report with `--child report`.
    if (process.env.BENCH_REPORT_KEEP === '1') console.error(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
