import type * as vscode from 'vscode';
import type { RunIndexEntry } from '../../core/trajectory/runIndex';
import type { DiffDocuments } from '../playback/diffDocuments';
import type { PlaybackPanel } from '../playback/playbackPanel';
import type { RunTestResults } from '../results/testResults';
import type { ApiKeys } from '../secrets';
import type { Settings } from '../settings';
import type { LeaderboardPanel } from '../views/leaderboardPanel';
import type { RunStatusBar } from '../views/statusBar';
import type { RunsTree } from '../views/runsTree';
import type { TasksTree } from '../views/tasksTree';

/** What every command handler may use: the extension's long-lived parts. */
export interface CommandContext {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  settings(): Settings;
  apiKeys: ApiKeys;
  tasks: TasksTree;
  runs: RunsTree;
  statusBar: RunStatusBar;
  diffs: DiffDocuments;
  /** The Test Results view of the runs shown there. */
  testResults: RunTestResults;
  /** Open playback panels, newest last. */
  panels: PlaybackPanel[];
  /** The Leaderboard, while it is open. */
  leaderboard: LeaderboardPanel | undefined;
  activeRun: ActiveRun | undefined;
  /** The fine-tune Serve Fine-tune… is serving, until Stop Serving. */
  servedModel: ServedModel | undefined;
}

/** A model server the extension started (`rollout serve`'s server), on loopback. */
export interface ServedModel {
  /** The OpenAI-compatible base URL. */
  url: string;
  model: string;
  /** The policy spec (`openai:MODEL@URL`) the CLI takes. */
  policy: string;
  stop(): Promise<unknown>;
}

/** The batch of rollouts now running; Stop Run aborts it. */
export interface ActiveRun {
  controller: AbortController;
  taskIds: string[];
  /** Rollouts in the batch (tasks × attempts). */
  rollouts: number;
  /** ISO time the batch started: its runs started at or after it. */
  startedAt: string;
  /** Settles when every rollout of the batch has ended. */
  done: Promise<unknown>;
}

/** Whether a run of the index is one the batch is recording. */
export function recordsRun(batch: ActiveRun | undefined, entry: RunIndexEntry): boolean {
  return batch !== undefined && batch.taskIds.includes(entry.task_id) && entry.started_at >= batch.startedAt;
}

/** A command's handler; the arguments let context menus and tests skip the pickers. */
export type CommandHandler = (context: CommandContext, ...args: unknown[]) => Promise<unknown>;
