/** Many rollouts at once: every (task, attempt) pair, at most `workers` at a time, and their totals. */
import { statSync } from 'node:fs';
import { version } from '../../../package.json';
import { mapWithWorkers } from '../concurrency';
import type { EvaluatorOptions } from '../reward/evaluator';
import { InfrastructureError } from '../sandbox/sandbox';
import type { Task } from '../task/task';
import { findTrajectoryLogs, readTrajectoryLog } from '../trajectory/reader';
import type { RunMetadata } from '../trajectory/types';
import type { AgentConfig } from './config';
import type { SymbolParser } from './codemap/parser';
import type { Policy } from './policies/policy';
import { createPolicy, parsePolicySpec, type CreatePolicyOptions } from './policies/policySpec';
import { checkProtocolPolicies, protocolFor } from './protocols/index';
import type { PolicyFactory, ProtocolSpec } from './protocols/protocol';
import { RefusalWatch, refusedBeforeStart } from './refusalWatch';
import { runRollout, type RolloutSummary } from './rollout';
import { createDefaultToolbox } from './tools/toolbox';
import { CANCEL_REASON } from './loop';

export interface BatchOptions {
  tasks: Task[];
  policySpec: string;
  attempts: number;
  workers: number;
  outDir: string;
  /** The protocols' settings: the reward, the CodeAssistBench models, feedback rounds. */
  protocol: ProtocolSpec;
  /** Makes the protocols' model clients from their specs (default: `createPolicy`, temperature 0 where the model takes it). */
  createPolicy?: PolicyFactory;
  evaluator: EvaluatorOptions;
  config?: Partial<AgentConfig>;
  policyOptions?: CreatePolicyOptions;
  /** One policy for every rollout, made by the caller (VS Code's Language Model API); `policySpec` then only names it. */
  policy?: Policy;
  /** The code map's parser; web-tree-sitter unless given (the CLI passes the native binding where it loads). */
  symbolParser?: SymbolParser;
  secrets?: string[];
  signal?: AbortSignal;
  onStart?: (task: Task, attempt: number) => void;
  /** A rollout's record is open at `logPath` (before its first turn; a run that ends at once included). */
  onRecordOpened?: (task: Task, attempt: number, logPath: string) => void;
  onFinish?: (summary: RolloutSummary) => void;
  /** Continue this recorded run of the one task (see resumePlan.ts) instead of starting `attempts` new ones. */
  resume?: Pick<RunMetadata, 'run_id' | 'attempt'>;
}

export interface BatchTotals {
  rollouts: number;
  resolved: number;
  /** Rollouts with a reward: the resolved rate's denominator, as the report's (docs/metrics.md). */
  scored: number;
  /** Rollouts without a reward, by exit status where known: never counted as failures. */
  unscored?: Partial<Record<RolloutSummary['exitStatus'], number>>;
  meanReward: number | null;
  meanTurns: number;
  tokens: number;
  /**
   * With feedback rounds: the share of scored rollouts resolved by round k (index k-1), MINT's success rate
   * after k submissions; the gain from one round to the next is what an extra round of feedback buys.
   */
  successByRound?: number[];
  wallMs: number;
}

export async function runBatch(options: BatchOptions): Promise<{ summaries: RolloutSummary[]; totals: BatchTotals }> {
  const started = performance.now();
  // A task no protocol can run stops the batch before anything starts, rather than failing rollout by rollout.
  for (const task of options.tasks) protocolFor(task, options.protocol);
  await checkProtocolPolicies(options.protocol, options.createPolicy);
  const jobs = batchJobs(options);
  const shared = options.policy;
  const policyFor = shared ? async () => shared : await policyResolver(options.policySpec, options.policyOptions);
  const refusals = new RefusalWatch();
  const summaries = await mapWithWorkers(jobs, options.workers, async ({ task, attempt, runId }) => {
    // After a cancel the rollouts not yet started are not started: no container, no record.
    if (options.signal?.aborted) return unrecorded(task.id, attempt, 'cancelled', NOT_STARTED_REASON);
    const refusal = refusals.current;
    if (refusal) return unrecorded(task.id, attempt, 'infra_error', refusedBeforeStart(refusal));
    options.onStart?.(task, attempt);
    const rollout = async () =>
      runRollout({
        task,
        attempt,
        ...(runId ? { runId, resume: true } : {}),
        policy: refusals.watch(await policyFor(task, attempt)),
        policySpec: options.policySpec,
        toolbox: createDefaultToolbox({
          symbolParser: options.symbolParser,
          bash: options.config?.commandTimeoutMs ? { defaultTimeoutMs: options.config.commandTimeoutMs } : undefined,
        }),
        protocol: options.protocol,
        createPolicy: options.createPolicy,
        outDir: options.outDir,
        config: options.config,
        evaluator: options.evaluator,
        createSandbox: options.evaluator.createSandbox,
        secrets: options.secrets,
        toolVersions: { 'rollout-studio': version },
        onRecordOpened: (logPath) => options.onRecordOpened?.(task, attempt, logPath),
        signal: options.signal,
      });
    const summary = await rollout().catch((error: unknown): RolloutSummary =>
      failedBeforeRecording(task, attempt, error, options.signal, runId),
    );
    options.onFinish?.(summary);
    return summary;
  });
  return { summaries, totals: batchTotals(summaries, performance.now() - started) };
}

/** Each rollout of the batch: every task's attempts, or the one run it resumes. */
function batchJobs(options: BatchOptions): { task: Task; attempt: number; runId?: string }[] {
  const { resume, tasks } = options;
  if (!resume)
    return tasks.flatMap((task) => Array.from({ length: options.attempts }, (_, attempt) => ({ task, attempt })));
  if (tasks.length !== 1) throw new Error(`resuming run ${resume.run_id} takes its one task, not ${tasks.length}`);
  return [{ task: tasks[0], attempt: resume.attempt, runId: resume.run_id }];
}

export const NOT_STARTED_REASON = 'cancelled before it started';

/**
 * A rollout that failed before or outside its record (no policy, no sandbox, an install that failed or was
 * cancelled): reported, never scored; a resume that failed so is reported under the run it resumed.
 */
function failedBeforeRecording(
  task: Task,
  attempt: number,
  error: unknown,
  signal: AbortSignal | undefined,
  resumedRunId?: string,
): RolloutSummary {
  if (signal?.aborted) return unrecorded(task.id, attempt, 'cancelled', CANCEL_REASON, resumedRunId);
  const reason = error instanceof Error ? error.message : String(error);
  const exitStatus = error instanceof InfrastructureError ? 'infra_error' : 'error';
  return unrecorded(task.id, attempt, exitStatus, reason, resumedRunId);
}

/** A rollout with no record (it never started, or failed before its log was opened): reported, never scored. */
export function unrecorded(
  taskId: string,
  attempt: number,
  exitStatus: RolloutSummary['exitStatus'],
  reason: string,
  runId = '',
): RolloutSummary {
  return {
    runId,
    taskId,
    attempt,
    exitStatus,
    resolved: null,
    reward: null,
    turns: 0,
    tokens: 0,
    durationMs: 0,
    path: '',
    reason,
  };
}

export function batchTotals(summaries: RolloutSummary[], wallMs: number): BatchTotals {
  const scored = summaries.filter((summary) => summary.reward !== null);
  const mean = (values: number[]) =>
    values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
  const unscored: BatchTotals['unscored'] = {};
  for (const { exitStatus, reward } of summaries)
    if (reward === null) unscored[exitStatus] = (unscored[exitStatus] ?? 0) + 1;
  return {
    rollouts: summaries.length,
    resolved: summaries.filter((summary) => summary.resolved).length,
    scored: scored.length,
    unscored,
    meanReward: mean(scored.map((summary) => summary.reward as number)),
    meanTurns: mean(summaries.map((summary) => summary.turns)) ?? 0,
    tokens: summaries.reduce((sum, summary) => sum + summary.tokens, 0),
    ...successByRound(summaries),
    wallMs,
  };
}

/** The exit statuses a reader of a summary line would not know by their log names. */
const EXIT_STATUS_WORDS: Partial<Record<RolloutSummary['exitStatus'], string>> = {
  infra_error: 'infrastructure error',
};

/** `resolved R/S` over the S scored rollouts, then the unscored ones by exit status (`(2 unscored: 1 error, …)`). */
export function describeResolved(totals: BatchTotals): string {
  const unscored = Object.entries(totals.unscored ?? {}) as [RolloutSummary['exitStatus'], number][];
  const count = unscored.reduce((sum, [, n]) => sum + n, 0);
  const which = unscored.map(([status, n]) => `${n} ${EXIT_STATUS_WORDS[status] ?? status}`).join(', ');
  return `resolved ${totals.resolved}/${totals.scored}${count ? ` (${count} unscored: ${which})` : ''}`;
}

/** Resolved by round k: a rollout resolved in an earlier round counts as resolved in every later one. */
function successByRound(summaries: RolloutSummary[]): Pick<BatchTotals, 'successByRound'> {
  const graded = summaries.filter((summary) => summary.protocol === 'swe-feedback' && summary.reward !== null);
  if (graded.length === 0) return {};
  const rounds = Math.max(...graded.map((summary) => summary.rounds?.length ?? 1));
  const resolvedIn = graded.map((summary) => summary.rounds?.find((round) => round.resolved)?.round ?? Infinity);
  return {
    successByRound: Array.from(
      { length: rounds },
      (_, k) => resolvedIn.filter((round) => round <= k + 1).length / graded.length,
    ),
  };
}

/**
 * The policy of each rollout. A recorded policy starts from its first recorded step in every rollout (a resumed
 * run skips the steps it recorded). `recorded:DIR` re-issues, for each task, the recordings in DIR whose task id
 * matches, attempt k taking the k-th (in path order, round robin); a model backend is shared by all rollouts.
 */
export async function policyResolver(
  spec: string,
  options: CreatePolicyOptions = {},
): Promise<(task: Task, attempt: number) => Promise<Policy>> {
  const parsed = parsePolicySpec(spec);
  if (parsed.backend === 'recorded' && statSync(parsed.path, { throwIfNoEntry: false })?.isDirectory()) {
    const recordings = new Map<string, string[]>();
    for await (const file of findTrajectoryLogs([parsed.path])) {
      const taskId = (await readTrajectoryLog(file)).trajectory?.run.task_id;
      if (taskId) recordings.set(taskId, [...(recordings.get(taskId) ?? []), file]);
    }
    return async (task, attempt) => {
      const files = recordings.get(task.id);
      if (!files) throw new Error(`recorded: no recorded trajectory for task ${task.id} under ${parsed.path}`);
      return createPolicy({ backend: 'recorded', path: files[attempt % files.length] }, options);
    };
  }
  if (parsed.backend === 'recorded') return () => createPolicy(parsed, options);
  const shared = await createPolicy(parsed, options);
  return async () => shared;
}
