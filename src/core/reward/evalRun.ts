/**
 * Evaluates many predictions with bounded concurrency and writes the harness's files: one folder per
 * instance (report.json, test_output.txt, patch.diff, result.json) and summary.json. A finished result is
 * reused only when its cache key (task, environment, image and patch) is unchanged, so a changed patch is
 * always evaluated again; infrastructure errors are never reused.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import { environmentFor } from '../task/environment';
import type { Task } from '../task/task';
import { evaluatePrediction, type EvaluationResult, type EvaluatorOptions, type Prediction } from './evaluator';
import { mapWithWorkers } from '../concurrency';
import { runSummary, type RunSummary } from './grading';

export interface EvalRunOptions extends EvaluatorOptions {
  outDir: string;
  workers: number;
  onResult?: (result: EvaluationResult, reused: boolean) => void;
}

export interface EvalRunResult {
  results: EvaluationResult[];
  summary: RunSummary;
  reused: number;
}

/** A cheap fingerprint of a plain folder's files (names, sizes, modification times). */
function folderFingerprint(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path);
    hash.update(`${name}:${stat.size}:${stat.mtimeMs}\n`);
    if (stat.isDirectory()) folderFingerprint(path, hash);
  }
}

export function cacheKey(task: Task, prediction: Prediction, options: EvaluatorOptions): string {
  const hash = createHash('sha256');
  let environment: unknown;
  let image: string | undefined;
  try {
    const resolved = environmentFor(task, options.specs);
    environment = resolved;
    image = resolved.image ?? options.imageForProfile(resolved.profile ?? 'python');
  } catch {
    // The evaluation will report the problem as an infrastructure error, which is never reused.
  }
  hash.update(
    JSON.stringify({
      task: { ...task, problemStatement: undefined, hints: undefined },
      environment,
      image,
      prediction,
    }),
  );
  if (!task.repo.commit && existsSync(task.repo.location)) folderFingerprint(task.repo.location, hash);
  return hash.digest('hex');
}

function instanceDir(outDir: string, instanceId: string): string {
  return join(outDir, instanceId.replace(/[^\w.-]/g, '_'));
}

async function cachedResult(dir: string, key: string): Promise<EvaluationResult | undefined> {
  try {
    const stored = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as EvaluationResult & {
      cacheKey?: string;
    };
    if (stored.cacheKey !== key || stored.status === 'infra-error') return undefined;
    delete stored.cacheKey;
    return { ...stored, log: await readFile(join(dir, 'test_output.txt'), 'utf8') };
  } catch {
    return undefined;
  }
}

async function writeResult(dir: string, key: string, prediction: Prediction, result: EvaluationResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { log, ...rest } = result;
  await writeFile(join(dir, 'patch.diff'), prediction.patch ?? '');
  await writeFile(join(dir, 'test_output.txt'), log);
  if (result.report) await writeFileAtomic(join(dir, 'report.json'), `${JSON.stringify(result.report, null, 4)}\n`);
  await writeFileAtomic(join(dir, 'result.json'), `${JSON.stringify({ ...rest, cacheKey: key }, null, 2)}\n`);
}

export async function runEvaluation(
  tasks: Task[],
  predictions: Prediction[],
  options: EvalRunOptions,
): Promise<EvalRunResult> {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const unknown = predictions
    .filter((prediction) => !byId.has(prediction.instanceId))
    .map((prediction) => prediction.instanceId);
  if (unknown.length > 0) throw new Error(`predictions for tasks not in the task file: ${unknown.join(', ')}`);
  const untested = predictions
    .map((prediction) => byId.get(prediction.instanceId) as Task)
    .filter((task) => task.failToPass.length === 0);
  if (untested.length > 0) {
    // With no FAIL_TO_PASS test every patch would count as resolved; CAB tasks are judged by their satisfaction conditions instead.
    throw new Error(
      `tasks without FAIL_TO_PASS tests cannot be graded by tests: ${untested.map((task) => `${task.id} (${task.kind})`).join(', ')}`,
    );
  }
  let reused = 0;
  const results = await mapWithWorkers(predictions, options.workers, async (prediction) => {
    const task = byId.get(prediction.instanceId) as Task;
    const dir = instanceDir(options.outDir, task.id);
    const key = cacheKey(task, prediction, options);
    const cached = await cachedResult(dir, key);
    if (cached) {
      reused++;
      options.onResult?.(cached, true);
      return cached;
    }
    const result = await evaluatePrediction(task, prediction, options);
    await writeResult(dir, key, prediction, result);
    options.onResult?.(result, false);
    return result;
  });
  const summary = runSummary(results);
  await mkdir(options.outDir, { recursive: true });
  await writeFileAtomic(join(options.outDir, 'summary.json'), `${JSON.stringify(summary, null, 4)}\n`);
  return { results, summary, reused };
}
