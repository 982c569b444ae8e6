/**
 * Evaluates one model patch on one task in a fresh sandbox, the way the SWE-bench harness does: apply the
 * model patch, reset the test files, apply the test patch, install, run the tests, parse, grade. Anything
 * that breaks in the machinery (engine, image, clone, timeout) is an infrastructure error, retried once
 * and never scored as a wrong answer.
 */

import type { SandboxFactory } from '../sandbox/pool';
import type { ExecResult, RepoSource, Sandbox } from '../sandbox/sandbox';
import { environmentFor, filesInPatch, shellQuote, testCommandFor, type EnvironmentSpecs } from '../task/environment';
import { resolveRepoSource, type RepoResolveOptions } from '../task/repoResolver';
import type { Task, TaskEnvironment } from '../task/task';
import { instanceReport, type EvaluationStatus, type InstanceReport } from './grading';
import { parseTestLog } from './logParsers/index';
import type { StatusMap, TestStatus } from './testStatus';

export interface Prediction {
  instanceId: string;
  modelName: string;
  /** The model's patch; `null` when it submitted nothing. */
  patch: string | null;
}

export interface EvaluationResult {
  instanceId: string;
  modelName: string;
  status: EvaluationStatus;
  /** The harness-shaped report; absent after an infrastructure error. */
  report?: InstanceReport;
  /** Parsed outcome of every test the run reported. */
  testStatuses?: Record<string, TestStatus>;
  /** Output of patch application, install and tests, in order. */
  log: string;
  /** What went wrong, for patch-failed and infra-error. */
  error?: string;
  attempts: number;
  durationMs: number;
}

export interface EvaluatorOptions {
  createSandbox: SandboxFactory;
  /** The image of a profile (`python`, `node`, `go`); normally `imageForProfile`. */
  imageForProfile: (profile: string) => string;
  repos?: RepoResolveOptions;
  specs?: EnvironmentSpecs;
  /** Limit for the test command; reaching it is an infrastructure error. Default 30 minutes. */
  testTimeoutMs?: number;
  /** Limit for each install command. Default 30 minutes. */
  installTimeoutMs?: number;
  runId?: string;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const PATCH_DIR = '/tmp/rollout-eval';
// Test logs are read from the end (pytest's summary comes last), so keep far more than the default 1 MiB.
const TEST_OUTPUT_LIMIT = 64 * 1024 ** 2;

/** A failure of the machinery rather than of the patch: never scored. */
class InfraFailure extends Error {}

/** The patch did not apply: the model's fault, scored as unresolved. */
class PatchFailure extends Error {}

interface Plan {
  environment: TaskEnvironment;
  image: string;
  repo: RepoSource;
  testCommand: string;
}

async function plan(task: Task, options: EvaluatorOptions): Promise<Plan> {
  const environment = environmentFor(task, options.specs);
  const image = environment.image ?? options.imageForProfile(environment.profile ?? 'python');
  const repo = await resolveRepoSource(task, options.repos);
  return { environment, image, repo, testCommand: testCommandFor(environment, task) };
}

class Run {
  readonly log: string[] = [];

  constructor(private readonly sandbox: Sandbox) {}

  async exec(
    label: string,
    command: string,
    options: { timeoutMs: number; asRoot?: boolean; maxOutputBytes?: number },
  ): Promise<ExecResult> {
    // Streams merged in the order the command wrote them, as a person reading a log expects.
    const result = await this.sandbox.exec(`{ ${command}\n} 2>&1`, options);
    this.log.push(
      `$ ${command}  # ${label}, exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}\n${result.stdout}${result.stderr}`,
    );
    if (result.timedOut) throw new InfraFailure(`${label} timed out after ${Math.round(options.timeoutMs / 1000)} s`);
    return result;
  }

  async applyPatch(name: string, patch: string): Promise<void> {
    const path = `${PATCH_DIR}/${name}.patch`;
    await this.sandbox.exec(`mkdir -p ${PATCH_DIR}`, { timeoutMs: 30_000 });
    await this.sandbox.writeFile(path, patch.endsWith('\n') ? patch : `${patch}\n`);
    const strict = await this.exec(`apply ${name} patch`, `git apply --verbose --whitespace=nowarn ${path}`, {
      timeoutMs: 120_000,
    });
    if (strict.exitCode === 0) return;
    // A second, more forgiving try, like the harness's fallback: less context and whitespace ignored.
    const lenient = await this.exec(
      `apply ${name} patch leniently`,
      `git apply --verbose --whitespace=nowarn --ignore-whitespace -C1 ${path}`,
      { timeoutMs: 120_000 },
    );
    if (lenient.exitCode !== 0) {
      const reasons = lenient.stdout.split('\n').filter((line) => /^(error|fatal):/.test(line));
      throw new PatchFailure(
        `the ${name} patch does not apply: ${(reasons.length ? reasons : [lenient.stdout.trim().slice(-500)]).join('; ')}`,
      );
    }
  }

  /** Puts the files the test patch touches back to their base state, so edits the model made to tests cannot stand. */
  async resetTestFiles(testPatch: string): Promise<void> {
    const files = filesInPatch(testPatch);
    if (files.length === 0) return;
    const script = files
      .map((file) => `git checkout -q HEAD -- ${shellQuote(file)} 2>/dev/null || rm -f -- ${shellQuote(file)}`)
      .join('\n');
    const result = await this.exec('reset test files', script, { timeoutMs: 60_000 });
    if (result.exitCode !== 0) throw new InfraFailure(`could not reset the test files ${files.join(', ')}`);
  }
}

async function evaluateInSandbox(
  task: Task,
  prediction: Prediction,
  planned: Plan,
  run: Run,
  options: EvaluatorOptions,
): Promise<Omit<EvaluationResult, 'attempts' | 'durationMs'>> {
  const base = { instanceId: task.id, modelName: prediction.modelName };
  const patch = prediction.patch;
  try {
    if (patch !== null && patch.trim() !== '') await run.applyPatch('model', patch);
    await run.resetTestFiles(task.testPatch);
    if (task.testPatch.trim() !== '') await run.applyPatch('test', task.testPatch);
  } catch (error) {
    if (!(error instanceof PatchFailure)) throw error;
    const report = instanceReport({ modelName: prediction.modelName, patch, patchApplied: false, expected: task });
    return { ...base, status: 'patch-failed', report, log: run.log.join('\n'), error: error.message };
  }
  const installTimeoutMs = options.installTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (const command of planned.environment.install)
    await run.exec('install', command, { timeoutMs: installTimeoutMs, asRoot: true });
  const testTimeoutMs = options.testTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tests = await run.exec('tests', planned.testCommand, {
    timeoutMs: testTimeoutMs,
    maxOutputBytes: TEST_OUTPUT_LIMIT,
  });
  if (tests.exitCode === 126 || tests.exitCode === 127) {
    throw new InfraFailure(
      `the test command could not start in ${planned.image} (exit ${tests.exitCode}): ${tests.stdout.trim().split('\n').pop() ?? ''}`,
    );
  }
  const statuses: StatusMap = parseTestLog(planned.environment.testFramework, tests.stdout);
  const report = instanceReport({
    modelName: prediction.modelName,
    patch,
    patchApplied: true,
    statuses,
    expected: task,
  });
  return {
    ...base,
    status: report.resolved ? 'resolved' : 'unresolved',
    report,
    testStatuses: Object.fromEntries(statuses),
    log: run.log.join('\n'),
  };
}

async function evaluateOnce(
  task: Task,
  prediction: Prediction,
  options: EvaluatorOptions,
): Promise<Omit<EvaluationResult, 'attempts' | 'durationMs'>> {
  let sandbox: Sandbox | undefined;
  let run: Run | undefined;
  try {
    const planned = await plan(task, options);
    sandbox = await options.createSandbox({ image: planned.image, repo: planned.repo, runId: options.runId });
    run = new Run(sandbox);
    return await evaluateInSandbox(task, prediction, planned, run, options);
  } catch (error) {
    // Whatever broke here is ours (engine, image, clone, timeout), not the model's.
    const message = error instanceof Error ? error.message : String(error);
    return {
      instanceId: task.id,
      modelName: prediction.modelName,
      status: 'infra-error',
      log: run?.log.join('\n') ?? '',
      error: message,
    };
  } finally {
    // A sandbox the engine already lost is left to the reaper.
    await sandbox?.destroy().catch(() => undefined);
  }
}

/** Evaluates `prediction` on `task`; an infrastructure error is retried once before it is reported. */
export async function evaluatePrediction(
  task: Task,
  prediction: Prediction,
  options: EvaluatorOptions,
): Promise<EvaluationResult> {
  const started = performance.now();
  let attempts = 1;
  let result = await evaluateOnce(task, prediction, options);
  if (result.status === 'infra-error') {
    attempts = 2;
    const first = result.error;
    result = await evaluateOnce(task, prediction, options);
    if (result.status === 'infra-error' && first !== result.error)
      result.error = `${result.error}\n(first attempt: ${first})`;
  }
  return { ...result, attempts, durationMs: performance.now() - started };
}
