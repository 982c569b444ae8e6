import { runUsage } from '../trajectory/cost';
import { findTrajectoryLogs, formatProblem, readTrajectoryLog } from '../trajectory/reader';
import { redactTrajectory, type Redactor } from '../trajectory/redact';
import { conversation, unscorable, type ExitStatus, type Trajectory } from '../trajectory/types';
import { argumentsObject, conversationKey, exportTurns } from './messages';
import type { DatasetStats } from './card';

export type SkipReason =
  | 'malformed'
  | 'unfinished'
  | 'cancelled'
  | 'infra_error'
  | 'unscored'
  | 'below_min_reward'
  | 'not_resolved'
  | 'duplicate'
  | 'no_pair'
  | 'not_best_attempt'
  | 'invalid_tool_arguments'
  | 'secrets_in_patch';

/** What grouping formats keep in memory per run: a few hundred bytes, never the conversation. */
export interface RunSummary {
  path: string;
  run_id: string;
  task_id: string;
  attempt: number;
  reward: number | null;
  resolved: boolean | undefined;
  exit_status: ExitStatus;
  turns: number;
  tokens_in: number;
  tokens_out: number;
  /** Hash of the exported conversation and tools: equal keys are duplicate conversations. */
  conversation_key: string;
  /** Tool calls whose arguments are not a JSON object (the model wrote bad JSON); chat templates cannot render them. */
  invalid_tool_arguments: number;
  /** Set when the run was kept for grouping only: the filter it fails. */
  filtered_out?: SkipReason;
  /** The protocol the run was recorded in (`swe`, `swe-feedback`, `cab`), when it says. */
  protocol?: string;
  /** Each graded round's score, for runs with test-feedback rounds. */
  rounds?: { round: number; reward: number | null; resolved: boolean | null }[];
}

/** What the run recorded of its protocol: its name, and the rounds its reward report lists. */
function protocolOf(trajectory: Trajectory): Pick<RunSummary, 'protocol' | 'rounds'> {
  const name = (trajectory.run.extra?.protocol as { name?: unknown } | undefined)?.name;
  const rounds = (trajectory.result?.reward?.report as { rounds?: unknown } | undefined)?.rounds;
  return {
    ...(typeof name === 'string' ? { protocol: name } : {}),
    ...(Array.isArray(rounds) ? { rounds: rounds as RunSummary['rounds'] } : {}),
  };
}

function countInvalidToolArguments(trajectory: Trajectory): number {
  return conversation(trajectory)
    .flatMap((message) => message.tool_calls ?? [])
    .filter((call) => argumentsObject(call.function.arguments) === undefined).length;
}

export interface RunFilters {
  minReward?: number;
  resolvedOnly?: boolean;
  /** Formats that rank or normalise by reward (dpo, rl) cannot use unscored runs. */
  requireReward?: boolean;
}

export interface LoadOptions {
  /**
   * Keep runs that fail `--min-reward` / `--resolved-only`, marked `filtered_out` (not yet counted as skipped):
   * a format that normalises over a task's attempts must see all of them before any is filtered.
   */
  keepFilteredOut?: boolean;
}

export interface LoadedRun {
  summary: RunSummary;
  trajectory: Trajectory & { result: NonNullable<Trajectory['result']> };
}

/**
 * The runs under the `--runs` paths, read one at a time and filtered. A log with malformed lines is
 * reported line by line and skipped whole (a conversation with a hole in it is not training data);
 * every other run still exports.
 */
export class RunSource {
  constructor(
    private readonly paths: string[],
    private readonly filters: RunFilters,
    private readonly stats: DatasetStats,
    private readonly report: (message: string) => void,
    /** Applied again on export: a log recorded elsewhere, or before a secret was known, may still hold one. */
    private readonly redactor: Redactor,
    private readonly signal?: AbortSignal,
  ) {}

  async *accepted(options: LoadOptions = {}): AsyncGenerator<LoadedRun> {
    for await (const path of findTrajectoryLogs(this.paths)) {
      this.signal?.throwIfAborted();
      const run = await this.load(path, options);
      if (run) yield run;
    }
  }

  /** One run, or null (counted and reported) when it is skipped. */
  async load(path: string, options: LoadOptions = {}): Promise<LoadedRun | null> {
    this.stats.scanned += 1;
    const read = await readTrajectoryLog(path);
    if (read.problems.length > 0 || !read.trajectory) {
      for (const problem of read.problems) this.report(`error: ${formatProblem(problem)}`);
      if (!read.trajectory) this.report(`error: ${path}: no valid run_started line`);
      this.report(`skipped ${path}: malformed trajectory log`);
      return this.skip('malformed');
    }
    if (!read.trajectory.result) return this.skip('unfinished');
    const exit = read.trajectory.result.exit_status;
    // An interrupted conversation and no outcome: never training data, never a failed prediction.
    if (unscorable(exit)) return this.skip(exit);
    const reward = read.trajectory.result.reward?.value ?? null;
    if (reward === null && (this.filters.requireReward || this.filters.minReward !== undefined))
      return this.skip('unscored');
    const filteredOut = this.filteredOut(read.trajectory.result, reward);
    if (filteredOut && !options.keepFilteredOut) return this.skip(filteredOut);
    const trajectory = redactTrajectory(this.redactor, read.trajectory);
    const result = trajectory.result!;
    // Its patch is not the work tree's any more (a secret was cut out of it): never ship an altered patch.
    if (result.secrets_in_patch) {
      this.report(`skipped ${path}: a registered secret is in its patch`);
      return this.skip('secrets_in_patch');
    }
    const usage = runUsage(trajectory);
    const summary: RunSummary = {
      path,
      run_id: trajectory.run.run_id,
      task_id: trajectory.run.task_id,
      attempt: trajectory.run.attempt,
      reward,
      resolved: result.reward?.resolved,
      exit_status: result.exit_status,
      turns: trajectory.turns.length,
      tokens_in: usage.tokens_in,
      tokens_out: usage.tokens_out,
      conversation_key: conversationKey(exportTurns(trajectory.turns), trajectory.run.tools),
      invalid_tool_arguments: countInvalidToolArguments(trajectory),
      ...(filteredOut ? { filtered_out: filteredOut } : {}),
      ...protocolOf(trajectory),
    };
    return { summary, trajectory: { ...trajectory, result } };
  }

  /** The `--min-reward` / `--resolved-only` filter a run fails, if any. */
  private filteredOut(result: NonNullable<Trajectory['result']>, reward: number | null): SkipReason | undefined {
    if (this.filters.minReward !== undefined && reward !== null && reward < this.filters.minReward)
      return 'below_min_reward';
    if (this.filters.resolvedOnly && result.reward?.resolved !== true) return 'not_resolved';
    return undefined;
  }

  /** Summaries of the accepted runs grouped by task, for the formats that compare attempts. */
  async groupsByTask(options: LoadOptions = {}): Promise<Map<string, RunSummary[]>> {
    const groups = new Map<string, RunSummary[]>();
    for await (const { summary } of this.accepted(options)) {
      const group = groups.get(summary.task_id) ?? [];
      group.push(summary);
      groups.set(summary.task_id, group);
    }
    return groups;
  }

  /** Loads a run found by `groupsByTask` again, for the writing pass (it passed the filters before). */
  async reload(summary: RunSummary): Promise<LoadedRun> {
    const read = await readTrajectoryLog(summary.path);
    if (!read.trajectory?.result || read.problems.length > 0)
      throw new Error(`${summary.path} changed while it was being exported`);
    const trajectory = redactTrajectory(this.redactor, read.trajectory);
    return { summary, trajectory: { ...trajectory, result: trajectory.result! } };
  }

  private skip(reason: SkipReason): null {
    this.stats.skip(reason);
    return null;
  }
}
