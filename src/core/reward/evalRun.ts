/**
 * Evaluates many predictions with bounded concurrency and writes the harness's files, so that a tool that
 * reads the harness's output reads ours unchanged: per instance a folder with report.json (only when the
 * harness writes one), test_output.txt, patch.diff, eval.sh and run_instance.log, and the run's summary.json;
 * beside them our own result.json per instance and rollout-summary.json. A finished result is reused only when
 * its cache key (task, environment, image, patch, harness version, and the installed Multi-SWE-bench harness
 * where its parsers read the logs) is unchanged; infrastructure errors never are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import { mapWithWorkers } from '../concurrency';
import { taskImage } from '../task/taskSandbox';
import { NO_FAIL_TO_PASS, testsCanGrade, type Task, type TaskEnvironment } from '../task/task';
import {
  evaluatePrediction,
  testTimeoutOf,
  type EvaluationResult,
  type EvaluatorOptions,
  type Prediction,
} from './evaluator';
import { harnessRulesFor } from './harnessRules';
import { CURRENT_HARNESS_VERSION } from './harnessVersion';
import type { HarnessIdentity } from './harnessProcess';
import { harnessReaderOf } from './harnessReaders';
import type { ReportFile } from './instanceReport';
import { harnessRunSummary, rolloutRunSummary, type HarnessRunSummary, type RolloutRunSummary } from './runSummary';

export interface EvalRunOptions extends EvaluatorOptions {
  outDir: string;
  workers: number;
  onResult?: (result: EvaluationResult, reused: boolean) => void;
  /** Stops starting new evaluations; those under way finish and are written. */
  signal?: AbortSignal;
}

export interface EvalRunResult {
  results: EvaluationResult[];
  summary: HarnessRunSummary;
  rolloutSummary: RolloutRunSummary;
  reused: number;
}

export const EVAL_FILES = {
  report: 'report.json',
  testOutput: 'test_output.txt',
  patch: 'patch.diff',
  evalScript: 'eval.sh',
  instanceLog: 'run_instance.log',
  result: 'result.json',
  summary: 'summary.json',
  rolloutSummary: 'rollout-summary.json',
} as const;

/** A cheap fingerprint of a plain folder's files (names, sizes, modification times). */
function folderFingerprint(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path);
    hash.update(`${name}:${stat.size}:${stat.mtimeMs}\n`);
    if (stat.isDirectory()) folderFingerprint(path, hash);
  }
}

/** Which benchmark harness reads the task's logs, where its own parsers do; null where none is usable. */
async function logReader(environment: TaskEnvironment | undefined): Promise<HarnessIdentity | null | undefined> {
  const reader = harnessReaderOf(environment?.logParser);
  if (!reader) return undefined;
  return reader.installed().then(
    ({ identity }) => identity,
    () => null,
  );
}

export async function cacheKey(task: Task, prediction: Prediction, options: EvaluatorOptions): Promise<string> {
  const hash = createHash('sha256');
  let environment: TaskEnvironment | undefined;
  let image: string | undefined;
  try {
    ({ environment, image } = taskImage(task, options));
  } catch {
    // The evaluation will report the problem as an infrastructure error, which is never reused.
  }
  hash.update(
    JSON.stringify({
      task: { ...task, problemStatement: undefined, hints: undefined },
      environment,
      image,
      prediction,
      harnessVersion: harnessRulesFor(task, options).harnessVersion,
      testTimeoutMs: testTimeoutOf(options),
      logReader: await logReader(environment),
    }),
  );
  if (!task.repo.commit && existsSync(task.repo.location)) folderFingerprint(task.repo.location, hash);
  return hash.digest('hex');
}

export function instanceDir(outDir: string, instanceId: string): string {
  return join(outDir, instanceId.replace(/[^\w.-]/g, '_'));
}

/** report.json as the harness writes it: the instance's entry under its id, four-space indented. */
export function reportFileText(instanceId: string, result: Pick<EvaluationResult, 'report'>): string | undefined {
  if (!result.report) return undefined;
  const file: ReportFile = { [instanceId]: result.report };
  return JSON.stringify(file, null, 4);
}

async function cachedResult(dir: string, key: string): Promise<EvaluationResult | undefined> {
  try {
    const stored = JSON.parse(await readFile(join(dir, EVAL_FILES.result), 'utf8')) as EvaluationResult & {
      cacheKey?: string;
    };
    if (stored.cacheKey !== key || stored.status === 'infra-error') return undefined;
    delete stored.cacheKey;
    const text = (name: string) => readFile(join(dir, name), 'utf8').catch(() => '');
    const evalScript = await text(EVAL_FILES.evalScript);
    return {
      ...stored,
      testOutput: await text(EVAL_FILES.testOutput),
      log: await text(EVAL_FILES.instanceLog),
      ...(evalScript ? { evalScript } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The harness's files for one evaluation in `dir` (report.json only when the harness writes one, so a stale
 * one never stays behind) and ours, result.json, with `extra` fields merged in.
 */
export async function writeEvaluationFiles(
  dir: string,
  result: EvaluationResult,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { testOutput, log, evalScript, ...rest } = result;
  const report = reportFileText(result.instanceId, result);
  await writeFile(join(dir, EVAL_FILES.testOutput), testOutput);
  await writeFile(join(dir, EVAL_FILES.instanceLog), log);
  if (evalScript) await writeFile(join(dir, EVAL_FILES.evalScript), evalScript);
  else await rm(join(dir, EVAL_FILES.evalScript), { force: true });
  if (report) await writeFileAtomic(join(dir, EVAL_FILES.report), report);
  else await rm(join(dir, EVAL_FILES.report), { force: true });
  await writeFileAtomic(join(dir, EVAL_FILES.result), `${JSON.stringify({ ...rest, ...extra }, null, 2)}\n`);
}

async function writeResult(dir: string, key: string, prediction: Prediction, result: EvaluationResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, EVAL_FILES.patch), prediction.patch ?? '');
  await writeEvaluationFiles(dir, result, { cacheKey: key });
}

/** Writes summary.json and rollout-summary.json for `results` against the task set `tasks`. */
export async function writeRunSummaries(
  outDir: string,
  tasks: Task[],
  predictions: Prediction[],
  results: EvaluationResult[],
  options: { harnessVersion?: EvaluatorOptions['harnessVersion']; reused: number },
): Promise<{ summary: HarnessRunSummary; rolloutSummary: RolloutRunSummary }> {
  // Each task's own where the run names none; a run whose tasks differ says the current release.
  const versions = new Set(tasks.map((task) => harnessRulesFor(task, options).harnessVersion));
  const harnessVersion = versions.size === 1 ? [...versions][0] : CURRENT_HARNESS_VERSION;
  const summary = harnessRunSummary({
    harnessVersion,
    datasetIds: tasks.map((task) => task.id),
    submittedIds: predictions.map((prediction) => prediction.instanceId),
    results,
  });
  const rolloutSummary = rolloutRunSummary(harnessVersion, results, options.reused);
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, EVAL_FILES.summary), `${JSON.stringify(summary, null, 4)}\n`);
  await writeFileAtomic(join(outDir, EVAL_FILES.rolloutSummary), `${JSON.stringify(rolloutSummary, null, 2)}\n`);
  return { summary, rolloutSummary };
}

/**
 * Why `predictions` cannot be evaluated against `tasks`, or undefined: there are none, some are for tasks not in the
 * task file, or for tasks their tests cannot grade.
 */
export function predictionsProblem(tasks: Task[], predictions: Prediction[]): string | undefined {
  if (predictions.length === 0) return 'the predictions file holds no prediction';
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const unknown = predictions
    .filter((prediction) => !byId.has(prediction.instanceId))
    .map((prediction) => prediction.instanceId);
  if (unknown.length > 0) return `predictions for tasks not in the task file: ${unknown.join(', ')}`;
  const untested = predictions
    .map((prediction) => byId.get(prediction.instanceId) as Task)
    .filter((task) => !testsCanGrade(task));
  // CAB tasks are judged by their satisfaction conditions instead.
  if (untested.length > 0)
    return `tasks cannot be graded by tests (${untested.map((task) => `${task.id} (${task.kind})`).join(', ')}): ${NO_FAIL_TO_PASS}`;
  return undefined;
}

export async function runEvaluation(
  tasks: Task[],
  predictions: Prediction[],
  options: EvalRunOptions,
): Promise<EvalRunResult> {
  const problem = predictionsProblem(tasks, predictions);
  if (problem) throw new Error(problem);
  const byId = new Map(tasks.map((task) => [task.id, task]));
  let reused = 0;
  const outcomes = await mapWithWorkers(predictions, options.workers, async (prediction) => {
    if (options.signal?.aborted) return undefined;
    const task = byId.get(prediction.instanceId) as Task;
    const dir = instanceDir(options.outDir, task.id);
    const key = await cacheKey(task, prediction, options);
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
  const results = outcomes.filter((result): result is EvaluationResult => result !== undefined);
  const { summary, rolloutSummary } = await writeRunSummaries(options.outDir, tasks, predictions, results, {
    harnessVersion: options.harnessVersion,
    reused,
  });
  return { results, summary, rolloutSummary, reused };
}
