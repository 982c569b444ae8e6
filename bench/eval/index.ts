/**
 * Evaluation speed on the bundled tasks, measured against a baseline in the same run:
 * - `rollout eval` (gold patches, one worker, nothing cached) against running the same patches and test
 *   commands directly in the same kind of container (create, one shell script, destroy), with no
 *   parsing, grading, reports or retries around them; target within 1.15×;
 * - `rollout eval --workers 4` against `--workers 1`.
 * Rounds alternate the variants so drift in the machine's load hits each alike. The last line is one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvaluation } from '../../src/core/reward/evalRun';
import type { EvaluatorOptions } from '../../src/core/reward/evaluator';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../src/core/sandbox/images';
import { environmentFor, testCommandFor } from '../../src/core/task/environment';
import { loadTasksStrict } from '../../src/core/task/loadTasks';
import type { Task } from '../../src/core/task/task';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The same work as an evaluation, done by hand: write both patches, apply them, run the tests. */
async function runDirectly(task: Task): Promise<void> {
  const environment = environmentFor(task);
  const sandbox = await DockerSandbox.create({
    image: environment.image ?? imageForProfile(environment.profile ?? 'python'),
    repo: task.repo,
  });
  try {
    await sandbox.writeFile('/tmp/gold.patch', task.goldPatch);
    await sandbox.writeFile('/tmp/test.patch', task.testPatch);
    const result = await sandbox.exec(
      `git apply /tmp/gold.patch && git apply /tmp/test.patch && { ${testCommandFor(environment, task)}\n} 2>&1`,
      { maxOutputBytes: 64 * 1024 ** 2 },
    );
    if (result.exitCode !== 0)
      throw new Error(
        `${task.id}: tests failed when run directly (exit ${result.exitCode}):\n${result.stdout.slice(-2000)}`,
      );
  } finally {
    await sandbox.destroy();
  }
}

async function evaluateAll(tasks: Task[], workers: number, options: EvaluatorOptions): Promise<void> {
  const predictions = tasks.map((task) => ({ instanceId: task.id, modelName: 'gold', patch: task.goldPatch }));
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-bench-eval-'));
  const { summary } = await runEvaluation(tasks, predictions, { ...options, outDir, workers });
  if (summary.resolved_instances !== tasks.length)
    throw new Error(`gold patches must all resolve, got ${JSON.stringify(summary)}`);
}

async function main(): Promise<void> {
  const tasks = await loadTasksStrict(join(process.cwd(), 'tasks', 'examples'));
  const options: EvaluatorOptions = {
    createSandbox: (spec) => DockerSandbox.create(spec),
    imageForProfile,
    runId: 'bench-eval',
  };
  // Warm the checkout cache and the images' page cache so the first variant measured is not penalised.
  for (const task of tasks) await runDirectly(task);

  const direct: number[] = [];
  const evalOne: number[] = [];
  const evalFour: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(
      await timed(async () => {
        for (const task of tasks) await runDirectly(task);
      }),
    );
    evalOne.push(await timed(() => evaluateAll(tasks, 1, options)));
    evalFour.push(await timed(() => evaluateAll(tasks, 4, options)));
    console.log(
      `round ${round + 1}: direct ${direct[round].toFixed(0)} ms, eval --workers 1 ${evalOne[round].toFixed(0)} ms, eval --workers 4 ${evalFour[round].toFixed(0)} ms`,
    );
  }
  const figures = {
    tasks: tasks.length,
    rounds: ROUNDS,
    direct_ms: Math.round(median(direct)),
    eval_workers1_ms: Math.round(median(evalOne)),
    eval_workers4_ms: Math.round(median(evalFour)),
    eval_vs_direct: Number((median(evalOne) / median(direct)).toFixed(3)),
    eval_vs_direct_target: 1.15,
    workers4_vs_workers1: Number((median(evalFour) / median(evalOne)).toFixed(3)),
  };
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
