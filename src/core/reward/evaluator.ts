/**
 * Evaluates one model patch on one task in a fresh sandbox, the way the SWE-bench harness runs an instance:
 * the patch applied through the harness's cascade of commands, then the evaluation script (evalScript.ts),
 * then its output graded (instanceReport.ts). Outcomes are counted as the harness counts them: an empty
 * patch is not run, a patch that does not apply and a timeout are errors without a report. Anything that
 * breaks in the machinery (engine, image, clone) is an infrastructure error, retried once and never scored.
 * Where a failure may be the patch's or the environment's, the tests run again without the patch to tell.
 */

import type { Sandbox, SandboxFactory } from '../sandbox/sandbox';
import { shellQuote } from '../shellWords';
import { taskSandbox, type TaskSandbox, type TaskSandboxSettings } from '../task/taskSandbox';
import { isBinaryFileSection } from '../trajectory/patchFiles';
import type { Task, TaskEnvironment } from '../task/task';
import { evalScript } from './evalScript';
import type { ResolutionStatus } from './grading';
import { harnessRulesFor, type HarnessRules } from './harnessRules';
import type { HarnessVersion } from './harnessVersion';
import { gradeTaskOutput, type GradeTaskOptions } from './gradeTask';
import { classifyInfraFailure } from './infraFailure';
import type { Grade, InstanceReport } from './instanceReport';
import type { LogParserName } from './logParsers/index';
import { recordedExitCode } from './testOutput';
import { LogParseError } from './testStatus';

export interface Prediction {
  instanceId: string;
  modelName: string;
  /** The model's patch; `null` when it submitted nothing. */
  patch: string | null;
}

/**
 * How one evaluation ended. `resolved` and `unresolved` have a report (the harness's "completed");
 * `no-patch` and `empty-patch` were not run (its "empty patch"); the rest are its "errors": `patch-failed` and
 * `timed-out` by the patch's doing, `error` a log the harness's parser fails on, `infra-error` ours.
 */
export type EvaluationStatus =
  'resolved' | 'unresolved' | 'no-patch' | 'empty-patch' | 'patch-failed' | 'timed-out' | 'error' | 'infra-error';

export interface EvaluationResult {
  instanceId: string;
  modelName: string;
  status: EvaluationStatus;
  harnessVersion: HarnessVersion;
  /** The harness's report.json entry; present exactly when the harness writes one (resolved, unresolved). */
  report?: InstanceReport;
  resolution?: ResolutionStatus;
  /** The status map read from the test output. */
  testStatuses?: Record<string, string>;
  /** The harness-shaped test output (test_output.txt); empty when the tests did not run. */
  testOutput: string;
  /** Every step, its command, exit status and output (the harness's run_instance.log). */
  log: string;
  /** The evaluation script that ran (the harness's eval.sh); absent when none ran. */
  evalScript?: string;
  /** What went wrong, or why the log was not graded, in words. */
  error?: string;
  attempts: number;
  durationMs: number;
}

/** Whether the patch resolved the task: null when no outcome is known (the machinery or the log broke). */
export function resolvedOf(evaluation: Pick<EvaluationResult, 'status'>): boolean | null {
  if (evaluation.status === 'infra-error' || evaluation.status === 'error') return null;
  return evaluation.status === 'resolved';
}

export interface EvaluatorOptions extends TaskSandboxSettings {
  createSandbox: SandboxFactory;
  /** Limit for the evaluation script; reaching it is a timeout, counted as the harness counts one. Default 30 minutes. */
  testTimeoutMs?: number;
  runId?: string;
  /** The harness release whose rules apply. Default: the current one. */
  harnessVersion?: HarnessVersion;
  /** Run the tests even for an empty patch (task validation: the tests must fail without a fix). */
  evaluateEmptyPatch?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const PATCH_FILE = '/tmp/patch.diff';
const EVAL_SCRIPT_FILE = '/tmp/rollout-eval.sh';
// Test logs are read whole (pytest's summary comes last), so keep far more than the default 1 MiB.
const TEST_OUTPUT_LIMIT = 64 * 1024 ** 2;

/** The evaluation script's time limit under `options`. */
export function testTimeoutOf(options: Pick<EvaluatorOptions, 'testTimeoutMs'>): number {
  return options.testTimeoutMs ?? DEFAULT_TIMEOUT_MS;
}

type Outcome = Omit<EvaluationResult, 'attempts' | 'durationMs'>;

/** A failure of the machinery rather than of the patch: never scored. */
class InfraFailure extends Error {}

interface Plan {
  environment: TaskEnvironment;
  sandbox: TaskSandbox['spec'];
}

async function plan(task: Task, options: EvaluatorOptions): Promise<Plan> {
  const { environment, spec } = await taskSandbox(task, options, 'grading');
  return { environment, sandbox: spec };
}

/** The steps of one evaluation in one sandbox, each written to the run log. */
class Steps {
  readonly log: string[] = [];

  constructor(readonly sandbox: Sandbox) {}

  async run(label: string, command: string, timeoutMs = 120_000) {
    // Streams merged in the order the command wrote them, as the harness's exec merges them.
    const result = await this.sandbox.exec(`{ ${command}\n} 2>&1`, {
      timeoutMs,
      asRoot: true,
      maxOutputBytes: TEST_OUTPUT_LIMIT,
    });
    this.log.push(
      `$ ${command}  # ${label}, exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}\n${result.stdout}${result.stderr}`,
    );
    return result;
  }

  /** The work tree as the image holds it: tracked files restored, untracked ones removed. */
  async restoreWorkTree(): Promise<void> {
    await this.run('restore the work tree', 'git checkout -- . ; git clean -fd');
  }

  /** The evaluation script (written to EVAL_SCRIPT_FILE), its output as the harness's test_output.txt holds it. */
  async runTests(timeoutMs: number): Promise<{ output: string; timedOut: boolean }> {
    const run = await this.run('evaluation script', `/bin/bash ${EVAL_SCRIPT_FILE}`, timeoutMs);
    const output = run.stdout + run.stderr;
    const timeout = `\n\nTimeout error: ${Math.round(timeoutMs / 1000)} seconds exceeded.`;
    return { output: run.timedOut ? output + timeout : output, timedOut: run.timedOut };
  }

  /**
   * The harness's cascade: each command in turn, from a clean tree since 5.0, then "already applied?".
   * Resolves to undefined when the patch is in, else to why the first (strictest) command refused it.
   */
  async applyModelPatch(patch: string, rules: HarnessRules): Promise<string | undefined> {
    await this.sandbox.writeFile(PATCH_FILE, rules.dropsBinaryFiles ? withoutBinaryFiles(patch) : patch);
    // The steps run as root, as the harness's do, on a repository root may not own: git must trust it.
    const trust = `git config --global --add safe.directory ${shellQuote(this.sandbox.workdir)} && `;
    let refusal = '';
    for (const [attempt, command] of rules.modelPatchCommands.entries()) {
      if (attempt > 0 && rules.cleanBetweenPatchAttempts) await this.restoreWorkTree();
      const result = await this.run('apply the patch', `${attempt === 0 ? trust : ''}${command} ${PATCH_FILE}`);
      if (result.exitCode === 0) return undefined;
      if (attempt === 0) refusal = result.stdout;
    }
    if (rules.acceptAlreadyApplied) {
      const reverse = await this.run('is the patch already applied?', `git apply --check --reverse ${PATCH_FILE}`);
      if (reverse.exitCode === 0) return undefined;
    }
    const reasons = refusal.split('\n').filter((line) => /^(error|fatal):/.test(line));
    return (reasons.length ? reasons : [refusal.trim().split('\n').pop() ?? '']).join('; ');
  }
}

/** A git diff without the sections of binary files (`Binary files … differ`, `GIT binary patch`). */
export function withoutBinaryFiles(patch: string): string {
  const sections = patch.split(/^(?=diff --git )/m);
  return sections.filter((section) => !isBinaryFileSection(section)).join('');
}

async function evaluateInSandbox(
  task: Task,
  prediction: Prediction,
  planned: Plan,
  steps: Steps,
  options: EvaluatorOptions,
): Promise<Outcome> {
  const rules = harnessRulesFor(task, options);
  const base = { instanceId: task.id, modelName: prediction.modelName, harnessVersion: rules.harnessVersion };
  const { patch } = prediction;
  const refusal = patch === null || patch === '' ? undefined : await steps.applyModelPatch(patch, rules);
  if (refusal !== undefined)
    return {
      ...base,
      status: 'patch-failed',
      testOutput: '',
      log: steps.log.join('\n'),
      error: `the patch does not apply: ${refusal}`,
    };
  const script = evalScript({
    task,
    environment: planned.environment,
    workdir: steps.sandbox.workdir,
    baseCommit: task.repo.commit,
    testPatchInTestCommand: rules.testPatchInTestCommand,
  });
  await steps.sandbox.writeFile(EVAL_SCRIPT_FILE, script);
  const timeoutMs = testTimeoutOf(options);
  const ran = { ...base, evalScript: script };
  const tests = await steps.runTests(timeoutMs);
  const log = () => steps.log.join('\n');
  if (tests.timedOut)
    return {
      ...ran,
      status: 'timed-out',
      testOutput: tests.output,
      log: log(),
      error: `the tests timed out after ${Math.round(timeoutMs / 1000)} s`,
    };
  const grading = { task, logParser: planned.environment.logParser, rules, image: planned.sandbox.image };
  let grade = await gradeOrParseError(tests.output, grading);
  const suspicion = environmentSuspicion(tests.output, grade, grading.image);
  const blameParserFailure = grade instanceof LogParseError && rules.parserFailureUnresolved && !!patch;
  const cleanTree =
    patch && (suspicion || blameParserFailure) ? await testsWithoutPatch(steps, timeoutMs, grading) : undefined;
  if (suspicion) blameEnvironmentOrPatch(suspicion, cleanTree);
  let notGradedBecause: string | undefined;
  if (grade instanceof LogParseError) {
    const failedAlike = cleanTree && (cleanTree.environment ?? cleanTree.parser);
    if (!blameParserFailure || failedAlike) {
      const error = blameParserFailure ? `${grade.message}; without the patch, ${failedAlike}` : grade.message;
      return { ...ran, status: 'error', testOutput: tests.output, log: log(), error };
    }
    notGradedBecause = `${grade.message}; without the patch it read the tests: graded as reading none`;
    grade = await gradeTaskOutput(task, tests.output, { ...gradingOptions(grading), statuses: new Map() });
  }
  return {
    ...ran,
    status: grade.report.resolved ? 'resolved' : 'unresolved',
    report: grade.report,
    resolution: grade.resolution,
    testStatuses: grade.statuses && Object.fromEntries(grade.statuses),
    testOutput: tests.output,
    log: log(),
    error: notGradedBecause ?? grade.notGradedBecause,
  };
}

/** What grading a test output needs, and the image the tests ran in (for messages). */
interface Grading {
  task: Task;
  logParser: LogParserName;
  rules: HarnessRules;
  image: string;
}

function gradingOptions(grading: Grading): GradeTaskOptions {
  return { harnessVersion: grading.rules.harnessVersion, logParser: grading.logParser };
}

async function gradeOrParseError(testOutput: string, grading: Grading): Promise<Grade | LogParseError> {
  try {
    return await gradeTaskOutput(grading.task, testOutput, gradingOptions(grading));
  } catch (error) {
    if (error instanceof LogParseError) return error;
    throw error;
  }
}

/**
 * Why a test run's failure may be the environment's rather than the patch's, or undefined: its command could not
 * start (126, 127), or its log holds no test result and a sign the harness labels an environment failure (memory,
 * display, engine, network). A log the parser failed on holds results.
 */
function environmentSuspicion(testOutput: string, grade: Grade | LogParseError, image: string): string | undefined {
  const testExit = recordedExitCode(testOutput);
  if (testExit === 126 || testExit === 127) return `the test command could not start in ${image} (exit ${testExit})`;
  if (grade instanceof LogParseError || grade.resolution !== undefined) return undefined;
  const label = classifyInfraFailure(testOutput);
  if (label?.tier !== 'environment') return undefined;
  return `the tests left no result in ${image} and their output shows ${label.reason.replaceAll('_', ' ')}`;
}

/**
 * The tests run again on the tree without the patch: how they failed there, if they did, apart as the two checks
 * need it: `environment`, they timed out or show the environment's signs (environmentSuspicion); `parser`, the
 * harness's parser failed on their log.
 */
interface CleanTreeRun {
  environment?: string;
  parser?: string;
}

async function testsWithoutPatch(steps: Steps, timeoutMs: number, grading: Grading): Promise<CleanTreeRun> {
  await steps.restoreWorkTree();
  const tests = await steps.runTests(timeoutMs);
  if (tests.timedOut) return { environment: 'the tests timed out' };
  const grade = await gradeOrParseError(tests.output, grading);
  return {
    environment: environmentSuspicion(tests.output, grade, grading.image),
    parser: grade instanceof LogParseError ? grade.message : undefined,
  };
}

/**
 * A patch can keep the tests from starting (it deletes the test runner or drops its mode) or make them run out of
 * memory: that is its failure, graded as the harness grades it. The same failure without the patch (`cleanTree`,
 * absent when there is no patch) is the environment's and never a score: an infrastructure failure is thrown.
 */
function blameEnvironmentOrPatch(suspicion: string, cleanTree: CleanTreeRun | undefined): void {
  if (!cleanTree) throw new InfraFailure(`${suspicion}; see the test output`);
  if (cleanTree.environment)
    throw new InfraFailure(`${suspicion}, and without the patch ${cleanTree.environment}; see the test output`);
}

async function evaluateOnce(task: Task, prediction: Prediction, options: EvaluatorOptions): Promise<Outcome> {
  let sandbox: Sandbox | undefined;
  let steps: Steps | undefined;
  try {
    const planned = await plan(task, options);
    sandbox = await options.createSandbox({ ...planned.sandbox, runId: options.runId });
    steps = new Steps(sandbox);
    return await evaluateInSandbox(task, prediction, planned, steps, options);
  } catch (error) {
    // Whatever broke here is ours (engine, image, clone), not the model's.
    return {
      instanceId: task.id,
      modelName: prediction.modelName,
      harnessVersion: harnessRulesFor(task, options).harnessVersion,
      status: 'infra-error',
      testOutput: '',
      log: steps?.log.join('\n') ?? '',
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    // A sandbox the engine already lost is left to the reaper.
    await sandbox?.destroy().catch(() => undefined);
  }
}

/**
 * Evaluates `prediction` on `task`. An empty patch is not run (unless `evaluateEmptyPatch`), as the harness
 * skips it; an infrastructure error is retried once before it is reported.
 */
export async function evaluatePrediction(
  task: Task,
  prediction: Prediction,
  options: EvaluatorOptions,
): Promise<EvaluationResult> {
  const started = performance.now();
  if ((prediction.patch === null || prediction.patch === '') && !options.evaluateEmptyPatch) {
    return {
      instanceId: task.id,
      modelName: prediction.modelName,
      status: prediction.patch === null ? 'no-patch' : 'empty-patch',
      harnessVersion: harnessRulesFor(task, options).harnessVersion,
      testOutput: '',
      log: '',
      attempts: 0,
      durationMs: performance.now() - started,
    };
  }
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
