/**
 * One rollout: a task and a policy in, a recorded, graded trajectory out. The agent works in one sandbox;
 * its final patch is graded in a fresh one, exactly as `rollout eval` grades predictions.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeEvaluationFiles } from '../reward/evalRun';
import { evaluatePrediction, resolvedOf, type EvaluationResult, type EvaluatorOptions } from '../reward/evaluator';
import type { RewardFn } from '../reward/rewardFn';
import type { SandboxFactory } from '../sandbox/pool';
import type { InstanceSetup, Sandbox } from '../sandbox/sandbox';
import { taskSandbox } from '../task/taskSandbox';
import type { Task } from '../task/task';
import { LeaseLostError, TrajectoryRecorder, type RecorderOptions } from '../trajectory/recorder';
import type { ExitStatus, RunMetadata } from '../trajectory/types';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config';
import { compactionStateFromEvents, type CompactionState } from './context/contextManager';
import { runAgent } from './loop';
import { recordedModel, type ChatMessage, type Policy } from './policies/policy';
import { systemPrompt, taskPrompt } from './prompts';
import type { Toolbox } from './tools/toolbox';

export interface RolloutOptions {
  task: Task;
  policy: Policy;
  /** The policy as the user named it (`openai:gpt-4o`, `replay:…`), recorded in the run. */
  policySpec: string;
  toolbox: Toolbox;
  rewardFn: RewardFn;
  outDir: string;
  attempt?: number;
  /** Fixed in advance when a queue or a resume needs to know it; otherwise made up. */
  runId?: string;
  /** Continue the unfinished run with this id instead of starting a new one. */
  resume?: boolean;
  config?: Partial<AgentConfig>;
  evaluator: EvaluatorOptions;
  createSandbox: SandboxFactory;
  /** Secret strings (API keys) to keep out of the record, beyond those found in the environment. */
  secrets?: string[];
  /** A queue worker's lease check and shared-storage copy around each recorded line. */
  recordHooks?: Pick<RecorderOptions, 'beforeWrite' | 'afterWrite'>;
  toolVersions?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RolloutSummary {
  runId: string;
  taskId: string;
  attempt: number;
  exitStatus: ExitStatus;
  resolved: boolean | null;
  reward: number | null;
  turns: number;
  tokens: number;
  durationMs: number;
  path: string;
  reason?: string;
}

/** `<task>.a<attempt>.<hex>`: the hex is random unless the caller fixes it (a queued job's digest of its run spec). */
export function newRunId(taskId: string, attempt: number, hex = randomBytes(3).toString('hex')): string {
  return `${taskId.replace(/[^A-Za-z0-9._-]/g, '_')}.a${attempt}.${hex}`;
}

export async function runRollout(options: RolloutOptions): Promise<RolloutSummary> {
  const started = performance.now();
  const { task, toolbox } = options;
  const attempt = options.attempt ?? 0;
  const config = { ...DEFAULT_AGENT_CONFIG, ...options.config };
  const { environment, spec } = await taskSandbox(task, options.evaluator);
  const runId = options.runId ?? newRunId(task.id, attempt);

  const sandbox = await options.createSandbox({ ...spec, runId });
  let recorder: TrajectoryRecorder | undefined;
  let finished = false;
  try {
    await installEnvironment(sandbox, environment.install);
    const opened = await openRecorder(options, runId, attempt, {
      image: spec.image,
      repo: spec.repo,
      instance: spec.instance,
      baseCommit: spec.repo?.commit ?? sandbox.baseCommit,
      workdir: sandbox.workdir,
      install: environment.install,
    });
    recorder = opened.recorder;
    if (opened.startDiff) await applyPatch(sandbox, opened.startDiff);
    const outcome = await runAgent({
      policy: options.policy,
      toolbox,
      sandbox,
      recorder,
      config,
      messages: opened.messages,
      recordedMessages: opened.recordedMessages,
      startDiff: opened.startDiff,
      compaction: opened.compaction,
      signal: options.signal,
    });
    const patch = await sandbox.diff();
    await sandbox.destroy();
    const evaluation = await grade(options, outcome.exitStatus, patch);
    const reward = evaluation ? options.rewardFn.compute({ evaluation, turnSignals: [...recorder.turnSignals] }) : null;
    // The harness's report.json (when it would write one) and test output, and our result.json, in the run folder.
    if (evaluation) await writeEvaluationFiles(join(options.outDir, runId), evaluation);
    finished = true;
    const result = await recorder.finish({
      exit_status: evaluation?.status === 'infra-error' ? 'infra_error' : outcome.exitStatus,
      patch,
      reward: reward
        ? {
            value: reward.value,
            resolved: evaluation ? (resolvedOf(evaluation) ?? undefined) : undefined,
            ...(reward.turnRewards ? { turn_rewards: reward.turnRewards } : {}),
            report: {
              reward_fn: options.rewardFn.name,
              explanation: reward.explanation,
              evaluation_status: evaluation?.status,
              report: evaluation?.report,
            },
          }
        : null,
      error: outcome.reason ?? evaluation?.error,
    });
    return summarize(
      options,
      runId,
      attempt,
      result.exit_status,
      evaluation,
      reward?.value ?? null,
      result.totals,
      started,
      outcome.reason ?? evaluation?.error,
    );
  } catch (error) {
    await sandbox.destroy().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    // A run whose record another process took over is left to it, untouched.
    if (error instanceof LeaseLostError) await recorder?.close();
    // A run that broke in the machinery is closed as such, so that what was recorded stays readable and unscored.
    else if (recorder && !finished)
      await recorder.finish({ exit_status: 'infra_error', patch: '', reward: null, error: reason });
    throw error;
  }
}

async function installEnvironment(sandbox: Sandbox, commands: string[]): Promise<void> {
  for (const command of commands) {
    const result = await sandbox.exec(command, { asRoot: true, timeoutMs: 30 * 60_000 });
    if (result.exitCode !== 0)
      throw new Error(`install command failed (exit ${result.exitCode}): ${command}\n${result.stderr.slice(-2000)}`);
  }
}

async function applyPatch(sandbox: Sandbox, patch: string): Promise<void> {
  await sandbox.writeFile('/tmp/rollout-resume.patch', patch);
  const applied = await sandbox.exec('git apply --binary /tmp/rollout-resume.patch');
  if (applied.exitCode !== 0)
    throw new Error(`cannot restore the work tree of the resumed run: ${applied.stderr.trim()}`);
}

interface OpenedRun {
  recorder: TrajectoryRecorder;
  messages: ChatMessage[];
  recordedMessages: number;
  startDiff: string;
  compaction?: CompactionState;
}

async function openRecorder(
  options: RolloutOptions,
  runId: string,
  attempt: number,
  where: {
    image: string;
    repo?: { location: string; commit?: string };
    instance?: InstanceSetup;
    baseCommit?: string;
    workdir: string;
    install: string[];
  },
): Promise<OpenedRun> {
  const recorderOptions: RecorderOptions = { secrets: options.secrets, ...options.recordHooks };
  if (options.resume) {
    const { recorder, trajectory } = await TrajectoryRecorder.resume(options.outDir, runId, recorderOptions);
    const messages = trajectory.turns.flatMap((turn) => turn.messages) as ChatMessage[];
    const startDiff = trajectory.turns.at(-1)?.diff ?? '';
    const compaction = compactionStateFromEvents(trajectory.events);
    return { recorder, messages, recordedMessages: messages.length, startDiff, ...(compaction ? { compaction } : {}) };
  }
  const run: RunMetadata = {
    run_id: runId,
    task_id: options.task.id,
    attempt,
    policy: options.policySpec,
    model: recordedModel(options.policy.info).model,
    tools: options.toolbox.definitions,
    tool_versions: options.toolVersions ?? {},
    image: { name: where.image },
    base_commit: where.baseCommit,
    started_at: new Date().toISOString(),
    extra: {
      repo: where.repo,
      instance: where.instance,
      workdir: where.workdir,
      install: where.install,
      agent_config: { ...DEFAULT_AGENT_CONFIG, ...options.config },
      model_setup: recordedModel(options.policy.info).setup,
    },
  };
  const recorder = await TrajectoryRecorder.start(options.outDir, run, recorderOptions);
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(where.workdir) },
    { role: 'user', content: taskPrompt(options.task) },
  ];
  return { recorder, messages, recordedMessages: 0, startDiff: '' };
}

/** Grades the final patch; a cancelled or broken run has no outcome to grade. */
async function grade(
  options: RolloutOptions,
  exitStatus: ExitStatus,
  patch: string,
): Promise<EvaluationResult | undefined> {
  if (exitStatus === 'cancelled' || exitStatus === 'infra_error') return undefined;
  const submitted = exitStatus === 'submitted' || patch !== '';
  return evaluatePrediction(
    options.task,
    { instanceId: options.task.id, modelName: options.policySpec, patch: submitted ? patch : null },
    { ...options.evaluator, runId: undefined },
  );
}

function summarize(
  options: RolloutOptions,
  runId: string,
  attempt: number,
  exitStatus: ExitStatus,
  evaluation: EvaluationResult | undefined,
  reward: number | null,
  totals: { turns: number; tokens_in: number; tokens_out: number } | undefined,
  started: number,
  reason: string | undefined,
): RolloutSummary {
  return {
    runId,
    taskId: options.task.id,
    attempt,
    exitStatus,
    resolved: evaluation ? resolvedOf(evaluation) : null,
    reward,
    turns: totals?.turns ?? 0,
    tokens: (totals?.tokens_in ?? 0) + (totals?.tokens_out ?? 0),
    durationMs: performance.now() - started,
    path: join(options.outDir, runId, 'trajectory.jsonl'),
    reason,
  };
}
