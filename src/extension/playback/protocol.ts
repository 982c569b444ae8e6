/**
 * Every message between the playback webview (media/playback.js) and the extension, one typed union per
 * direction. The webview renders every string here with textContent: nothing is ever parsed as HTML.
 */

export interface PlaybackToolCall {
  id: string;
  name: string;
  /** The arguments exactly as the model wrote them (JSON text). */
  arguments: string;
}

export interface PlaybackObservation {
  tool: string;
  output: string;
  truncated: boolean;
  exitCode?: number;
  isError?: boolean;
}

/** A system or user message a turn added before the model spoke. */
export interface PlaybackPrompt {
  role: string;
  text: string;
  /** Who wrote a user message that is not the task's: `simulated_user`, `test_feedback`, `model_feedback`. */
  speaker?: string;
  /** The round it answers (a user reply, feedback). */
  round?: number;
}

export interface PlaybackTurn {
  index: number;
  /** System/user messages the turn added before the model spoke (the task prompt on turn 0). */
  prompts: PlaybackPrompt[];
  /** The round this turn opens, when a protocol message (a user reply, feedback) opened it. */
  startsRound?: number;
  /** The model's message text; null when it only called tools. */
  message: string | null;
  toolCalls: PlaybackToolCall[];
  observations: PlaybackObservation[];
  /** Whether the turn recorded the work tree's patch (the patch itself is sent on request: `turnChange`). */
  patchRecorded: boolean;
  /** The files whose change the turn made or undid (empty when it changed no file). */
  changedPaths: string[];
  /** The turn's reward from its signals (`turnReward`); null when it recorded none. */
  reward: number | null;
  durationMs?: number;
}

export interface TestOutcomes {
  success: string[];
  failure: string[];
}

/** One graded round of a test-feedback run. */
export interface PlaybackRound {
  round: number;
  reward: number | null;
  resolved: boolean | null;
}

export interface PlaybackResult {
  exitStatus: string;
  reward: number | null;
  resolved?: boolean;
  /** Each round's score, when the run had feedback rounds. */
  rounds?: PlaybackRound[];
  /** A CodeAssistBench judge's verdict (null: it named none) and its reply. */
  judge?: { verdict: string | null; reply: string; userRounds?: number; finalStatus?: string };
  failToPass?: TestOutcomes;
  passToPass?: TestOutcomes;
  error?: string;
  /** Tokens and cost are null when the run recorded none (runs imported from logs that kept no usage). */
  totals?: {
    turns: number;
    tokensIn: number | null;
    tokensOut: number | null;
    costUsd: number | null;
    durationMs: number;
  };
}

export interface PlaybackRun {
  runId: string;
  taskId: string;
  /** The policy spec without its server address (e.g. `openai:gpt-4o-mini`). */
  policy: string;
  /** `host:port` of the model server the policy named, when it named one. */
  server?: string;
  /** The policy spec as recorded, for the tooltip. */
  policySpec: string;
  model: string;
  startedAt: string;
}

/** The turn the model is writing now (a live run): its text and calls so far, and the running calls' output. */
export interface PlaybackLiveTurn {
  index: number;
  /** `model`: the reply is being written; `tools`: its calls are running. */
  phase: 'model' | 'tools';
  message: string;
  reasoning: string;
  toolCalls: { name: string; arguments: string }[];
  outputs: { tool: string; output: string }[];
}

/** Something the run recorded between turns: a compaction, an error, a user or judge message, a resume. */
export interface PlaybackEvent {
  kind: string;
  /** The turns finished when it happened: it is shown before turn `afterTurn`. */
  afterTurn: number;
  /** One line saying what happened. */
  summary: string;
  /** The event's data as JSON text (without a compaction's request copy), for the detail. */
  detail?: string;
  isError: boolean;
}

export type ExtensionToWebview =
  /** The whole trajectory so far; `live` when the run is still going and more turns will follow. */
  | {
      type: 'load';
      run: PlaybackRun;
      turns: PlaybackTurn[];
      events: PlaybackEvent[];
      result: PlaybackResult | null;
      live: boolean;
      /** The log shown, kept in the webview's state so that the panel is restored after a window reload. */
      logPath: string;
      /** The turn to show first: the one a restored panel showed before the reload. */
      selectTurn?: number;
    }
  | { type: 'appendTurns'; turns: PlaybackTurn[]; events: PlaybackEvent[] }
  /**
   * What turn `turnIndex` changed, asked for by `showTurnChange`: the changed files' sections of the work
   * tree's patch after the turn, and the files whose change it undid.
   */
  | { type: 'turnChange'; turnIndex: number; patch: string; undone: string[] }
  | { type: 'finished'; result: PlaybackResult }
  /** The turn in progress, or null once it is recorded (or the run ended). */
  | { type: 'liveTurn'; turn: PlaybackLiveTurn | null };

export type WebviewToExtension =
  | { type: 'ready' }
  /** Send what turn `turnIndex` changed (`turnChange`), for the detail pane. */
  | { type: 'showTurnChange'; turnIndex: number }
  /** Show the change turn `turnIndex` made in VS Code's diff editor. */
  | { type: 'openDiff'; turnIndex: number }
  /**
   * Sent after each render, so the extension (and its tests) know what the view shows: `speakers` are the
   * labels of the protocol messages in the run, `report` the final report's text.
   */
  | {
      type: 'rendered';
      turnCount: number;
      selectedTurn: number;
      renderedRows: number;
      /** The turn list's aria-activedescendant: the id of the selected turn's option (`turn-N`), '' when none. */
      activeDescendant: string;
      matches: number;
      /** Events the run recorded, as the webview holds them. */
      events: number;
      /** The header as read (task, outcome badge, policy, server, turns, start time). */
      header: string;
      /** The outcome badge's class: `outcome-pass`, `outcome-fail`, `outcome-partial` or `outcome-unscored`. */
      outcome: string;
      speakers: string[];
      report: string;
      /** The detail pane's text (the selected turn). */
      detail: string;
      /** The reward chart's captions: one per plot (cumulative turn reward; final reward once scored). */
      chart: string[];
    };
