/**
 * The report as data: what `rollout report --json` prints, what the HTML report and the VS Code Leaderboard
 * draw. Plain JSON (no Maps, no Dates), so that one shape travels to a file, a webview and a test.
 */
import type { BootstrapInterval, PairedBootstrap } from './bootstrap';
import type { McNemarResult, Spread } from './estimators';
import type { SignFlipTest } from './signFlip';

/** 2: a comparison's reward `pValue` is the sign-flip test's (`test` says which), no longer the bootstrap's. */
export const REPORT_VERSION = 2;

export type GroupBy = 'policy' | 'model' | 'prompt';
export const GROUP_BY: readonly GroupBy[] = ['policy', 'model', 'prompt'];

/** How a run ended; `unfinished` for a log without run_finished (killed, or still running). */
export type RunStatus =
  | 'submitted'
  | 'turn_limit'
  | 'token_limit'
  | 'cost_limit'
  | 'time_limit'
  | 'error'
  | 'infra_error'
  | 'cancelled'
  | 'unfinished';

/** A milestone of a run: the 1-based turn it was first reached in and the tokens used up to the end of that turn. */
export interface Milestone {
  turn: number;
  /** Null when the run records no per-turn token counts (some imports). */
  tokens: number | null;
}

/** One protocol round (a CodeAssistBench user reply, a test-feedback round) and whether the run had succeeded by then. */
export interface RoundOutcome {
  round: number;
  succeeded: boolean;
}

/** What the report keeps of one run: a few hundred bytes, never its conversation. */
export interface RunFacts {
  runId: string;
  /** The run's trajectory log. */
  path: string;
  taskId: string;
  attempt: number;
  policy: string;
  model: string;
  /** A short hash of the run's system prompt, and its first words. */
  prompt: { hash: string; preview: string } | null;
  /** `cab` for CodeAssistBench conversations; `swe` otherwise. */
  protocol: string;
  /** The format an imported run came from (`swe-agent`, `mini-swe-agent`, `openai`). */
  importedFrom?: string;
  status: RunStatus;
  reward: number | null;
  /** Null when the run was not scored (unfinished, infrastructure error, cancelled, imported without a grade). */
  resolved: boolean | null;
  turns: number;
  tokens: number;
  /** Null when any model call's cost is unknown (no price). */
  costUsd: number | null;
  /** From start to end; null when the run does not record both times (imports). */
  wallSeconds: number | null;
  analytics: RunAnalytics;
  /** Malformed lines skipped in its log. */
  problems: number;
}

export interface RunAnalytics {
  /** Tool executions per tool name. */
  tools: Record<string, number>;
  /** Shell commands per program (`pytest`, `git diff`, `sed` …). */
  commands: Record<string, number>;
  /** Failed tool calls and test runs, and how many of them the next action of the same kind made good. */
  failures: number;
  recovered: number;
  firstEdit: Milestone | null;
  firstPassingTest: Milestone | null;
  testRuns: number;
  /** Turns whose actions repeat the previous turn's exactly. */
  repeatedTurns: number;
  /** A stuck loop: the same action and observation 4 turns in a row, or the same failing action 3 turns in a row. */
  loop: boolean;
  compactions: number;
  /** Files the final patch changes. */
  filesEdited: string[];
  /** Against the gold patch's files, when the task is known and has one. */
  localisation: Localisation | null;
  /** Success by round, for protocols with rounds; null for runs without any. */
  rounds: RoundOutcome[] | null;
}

export interface Localisation {
  goldFiles: number;
  /** Share of edited files that the gold patch changes; null when the run edited nothing. */
  precision: number | null;
  /** Share of gold files that the run edited. */
  recall: number;
  /** Share of gold files named in any action's arguments (opened, searched, edited). */
  viewedRecall: number;
}

/** A rate with its 95 % bootstrap interval over tasks. */
export interface RateWithInterval {
  value: number;
  interval: BootstrapInterval | null;
  /** Tasks and runs behind it. */
  tasks: number;
  runs: number;
}

export interface KPoint {
  k: number;
  value: number;
  /** Tasks with at least k scored attempts: the ones the estimate averages over. */
  tasks: number;
}

export interface GroupAnalytics {
  tools: Record<string, number>;
  commands: Record<string, number>;
  failures: number;
  recovered: number;
  /** recovered / failures, over all runs of the group; null without failures. */
  errorRecoveryRate: number | null;
  firstEdit: { runs: number; turns: Spread; tokens: Spread };
  firstPassingTest: { runs: number; turns: Spread; tokens: Spread };
  runsWithLoop: number;
  repeatedTurns: Spread;
  compactions: number;
  runsWithCompaction: number;
  localisation: { runs: number; precision: Spread; recall: Spread; viewedRecall: Spread } | null;
  /** Success rate by round (cumulative) over the scored runs with rounds, and the gain over the round before. */
  rounds: { round: number; successRate: number; gain: number | null; runs: number }[];
}

export interface GroupReport {
  key: string;
  /** What the key stands for, for display (the prompt's first words for `--by prompt`). */
  label: string;
  runs: number;
  tasks: number;
  scoredRuns: number;
  /** Mean over tasks of resolved attempts / scored attempts; with the same attempts per task, resolved / scored runs. */
  resolved: RateWithInterval | null;
  passAtK: KPoint[];
  passHatK: KPoint[];
  meanReward: RateWithInterval | null;
  /** Over the runs whose cost is known; `unknownRuns` were left out. */
  costUsd: Spread & { total: number; unknownRuns: number };
  tokens: Spread & { total: number };
  turns: Spread;
  /** [turns, runs with that many turns], by turns. */
  turnsHistogram: [number, number][];
  wallSeconds: Spread;
  statuses: Partial<Record<RunStatus, number>>;
  analytics: GroupAnalytics;
}

/** One run as a matrix cell lists it, so that a click can open its playback. */
export interface CellRun {
  runId: string;
  path: string;
  attempt: number;
  status: RunStatus;
  resolved: boolean | null;
  reward: number | null;
}

export interface MatrixCell {
  resolved: number;
  scored: number;
  runs: CellRun[];
}

export interface TaskRow {
  taskId: string;
  dataset: string;
  categories: Record<string, string>;
  /** Group key → the task's attempts in that group; absent where the group has none. */
  cells: Record<string, MatrixCell>;
}

export interface Comparison {
  first: string;
  second: string;
  /** McNemar on (task, attempt) pairs scored in both groups; null when there are none. */
  mcnemar: (McNemarResult & { pairs: number }) | null;
  /**
   * The per-task mean reward, first − second, over tasks scored in both: the mean difference with its paired
   * bootstrap interval, and the sign-flip test's p-value.
   */
  reward: (PairedBootstrap & SignFlipTest & { tasks: number }) | null;
  /** Tasks one group resolved in some attempt and the other in none. */
  onlyFirst: string[];
  onlySecond: string[];
}

/** Resolved rates of each group within one category value (a repository, a language, a dataset's own category). */
export interface CategoryRow {
  dimension: string;
  value: string;
  groups: Record<string, RateWithInterval | null>;
}

export interface ReportProblem {
  path: string;
  message: string;
}

export interface Report {
  version: number;
  generatedAt: string;
  by: GroupBy;
  /** The run folders and files the report read. */
  sources: string[];
  filters: { datasets?: string[]; groups?: string[] };
  bootstrap: { resamples: number; seed: number; level: number };
  runs: number;
  groups: GroupReport[];
  tasks: TaskRow[];
  comparisons: Comparison[];
  categories: CategoryRow[];
  /** Every dataset and group key seen before filtering, for the filter menus. */
  facets: { datasets: string[]; groups: string[] };
  problems: ReportProblem[];
}
