/**
 * The trajectory schema: what one agent run records, turn by turn.
 * The on-disk form is an append-only JSONL event log (see `TrajectoryEvent`); its JSON Schema is
 * `schema/trajectory-event.schema.json` and docs/trajectory-schema.md explains every field.
 */

/**
 * Bumped on any change a reader of older logs must know about. Version 2 renamed the turn's `rewards` to
 * `signals`; the reader still reads version 1 logs (see `migrate.ts`).
 */
export const TRAJECTORY_SCHEMA_VERSION = 3;

export type ExitStatus =
  'submitted' | 'turn_limit' | 'token_limit' | 'cost_limit' | 'time_limit' | 'error' | 'infra_error' | 'cancelled';

export const EXIT_STATUSES: readonly ExitStatus[] = [
  'submitted',
  'turn_limit',
  'token_limit',
  'cost_limit',
  'time_limit',
  'error',
  'infra_error',
  'cancelled',
];

/**
 * The exit statuses after which there is nothing to score, and no attempt to learn from: the run was stopped, or
 * the machinery broke.
 */
export function unscorable(exitStatus: ExitStatus): exitStatus is 'cancelled' | 'infra_error' {
  return exitStatus === 'cancelled' || exitStatus === 'infra_error';
}

/**
 * An OpenAI chat-completions tool call; `arguments` is the JSON text exactly as the model wrote it, and
 * `extra_content` the vendor extension a server put on the call (Gemini's thought signature), kept to go back.
 */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: Record<string, unknown>;
}

/** A message in OpenAI chat format. `extra` keeps fields a foreign source had that this schema does not name. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCall[];
  /** On `tool` messages: the id of the call this message answers. */
  tool_call_id?: string;
  name?: string;
  extra?: Record<string, unknown>;
}

/** An OpenAI tool definition, recorded once per run so exports can emit `tools`. */
export interface ToolSchema {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export type SourceFormat = 'rollout' | 'swe-agent' | 'mini-swe-agent' | 'openhands' | 'openai';

export interface RunMetadata {
  run_id: string;
  task_id: string;
  /** 0-based attempt number of this task within a batch. */
  attempt: number;
  /** The policy spec as given, e.g. `openai:gpt-4o`, `recorded:runs/x/trajectory.jsonl`. */
  policy: string;
  model: { name: string; provider?: string; parameters: Record<string, unknown> };
  tools: ToolSchema[];
  /** Versions of the harness and its tools, e.g. `{ "rollout-studio": "0.1.0" }`. */
  tool_versions: Record<string, string>;
  image?: { name: string; digest?: string };
  base_commit?: string;
  /** ISO 8601. */
  started_at: string;
  /** Where the run came from when it was imported from another agent's format, and that format's version. */
  source?: { format: SourceFormat; version?: string; path?: string };
  extra?: Record<string, unknown>;
}

/** One tool execution's result as the harness saw it, before it became a message. */
export interface Observation {
  /** The call this answers; null when the source had text actions instead of tool calls. */
  tool_call_id: string | null;
  tool: string;
  /** The call's arguments as JSON text. */
  arguments?: string;
  output: string;
  /** True when `output` was cut to fit the observation limit. */
  truncated: boolean;
  /** UTF-8 size of the tool's whole output, before any truncation. */
  original_bytes?: number;
  /** The command's exit status, for tools that run one (bash). */
  exit_code?: number;
  is_error?: boolean;
}

export interface TokenLogprobs {
  token_ids: number[];
  logprobs: number[];
}

/** Token counts of one model call as the server reported them. */
export interface TurnTokens {
  input: number;
  output: number;
  /** Of `input`, the prompt tokens the server took from its prompt cache. */
  cached_input?: number;
  /** Of `output`, the tokens spent on reasoning (not part of the message text). */
  reasoning?: number;
}

/**
 * Named per-turn signals: counts of what happened in the turn (`format_errors`, `tool_errors`,
 * `diff_changed`). They are facts, not rewards: `turnReward` in src/core/reward/turnReward.ts weighs them.
 */
export type TurnSignals = Record<string, number>;

export interface Turn {
  /** 0-based, consecutive. */
  index: number;
  started_at?: string;
  /**
   * The messages this turn added to the conversation, in order: any new system/user messages, then
   * the assistant message, then the messages answering it (tool results, or a user reply).
   * Concatenating every turn's messages gives the whole conversation.
   */
  messages: ChatMessage[];
  observations: Observation[];
  /** The work tree against the base commit after the turn, as a git patch, exactly; see `secrets_in_diff`. */
  diff?: string;
  /** A registered secret was in `diff`, which the log therefore holds redacted (not appliable as it is). */
  secrets_in_diff?: boolean;
  durations_ms?: { model: number; tools: number; total: number };
  tokens?: TurnTokens;
  cost_usd?: number;
  /** Token ids and log-probabilities of the assistant message, when the server returned them. */
  logprobs?: TokenLogprobs;
  /**
   * The token ids of the request this turn's model call was sent, as the server tokenized it (vLLM's
   * `prompt_token_ids`), when it returned them: a trainer need not apply a chat template again, which may not
   * tokenize the request as the server did.
   */
  prompt_token_ids?: number[];
  /** The model id the server said answered, which may differ from the one asked for (an alias, a snapshot). */
  model?: string;
  /** The server's `system_fingerprint`: the backend configuration that produced the answer. */
  system_fingerprint?: string;
  /** The sampling parameters this call was made with (temperature, top_p, max_tokens, seed …), as sent. */
  sampling?: Record<string, unknown>;
  /** Reasoning text the server returned beside the message (`reasoning_content`, thinking blocks). */
  reasoning?: string;
  signals?: TurnSignals;
  extra?: Record<string, unknown>;
}

/**
 * One part of the request a model call was sent, in order: a range `[from, to)` of the conversation's messages
 * (all turns' messages concatenated), or a message that is not in the conversation (a compaction note, a summary).
 */
export type RequestPart = { messages: [number, number] } | { message: ChatMessage };

export interface RunEvent {
  /**
   * Well-known kinds: `compaction` (its `data.request` is a `RequestPart[]` giving the request of turn
   * `after_turn`), `error`, `resumed`, `user_feedback`; others are allowed.
   */
  kind: string;
  at: string;
  /** The number of turns finished when the event happened. */
  after_turn: number;
  data?: Record<string, unknown>;
}

export interface RewardResult {
  /** Null when no reward could be computed (infrastructure failures are never scored 0). */
  value: number | null;
  resolved?: boolean;
  /**
   * The per-turn rewards `value` includes, in turn order (after the reward function's gate and cap); absent
   * when the reward function counts none. `value` minus their sum is the outcome's own reward.
   */
  turn_rewards?: number[];
  report?: unknown;
}

export interface RunResult {
  exit_status: ExitStatus;
  ended_at: string;
  /** The final work tree as a git patch ('' when unchanged), exactly; see `secrets_in_patch`. */
  patch: string;
  /**
   * A registered secret was in the patch (or a turn's diff), so the log holds it redacted: the patch here is not
   * the work tree's, exports skip the run, and it cannot be resumed. The graded patch was the real one.
   */
  secrets_in_patch?: boolean;
  reward: RewardResult | null;
  error?: string;
  /** `cost_usd` is null when any model call's cost is unknown (no price): a partial sum would read as the cost. */
  totals?: { turns: number; tokens_in: number; tokens_out: number; cost_usd: number | null; duration_ms: number };
  extra?: Record<string, unknown>;
}

/** One line of `trajectory.jsonl`. */
export type TrajectoryEvent =
  | { type: 'run_started'; schema_version: number; run: RunMetadata }
  | { type: 'turn'; turn: Turn }
  | { type: 'event'; event: RunEvent }
  | { type: 'run_finished'; result: RunResult };

/** A whole run in memory. `result` is absent while the run is unfinished (or was killed). */
export interface Trajectory {
  run: RunMetadata;
  turns: Turn[];
  events: RunEvent[];
  result?: RunResult;
}

/** Every message of a trajectory, in conversation order. */
export function conversation(trajectory: Pick<Trajectory, 'turns'>): ChatMessage[] {
  return trajectory.turns.flatMap((turn) => turn.messages);
}
