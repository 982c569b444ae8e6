/**
 * The agent loop: the conversation goes to the policy, its tool calls run in the sandbox, their results
 * come back as messages, and every finished turn is recorded, until the agent submits or a limit is hit.
 */
import type { Sandbox } from '../sandbox/sandbox';
import { InfrastructureError } from '../sandbox/sandbox';
import { LeaseLostError, type TrajectoryRecorder } from '../trajectory/recorder';
import { describeRequest } from '../trajectory/request';
import type { ExitStatus, Observation, Turn } from '../trajectory/types';
import type { AgentConfig } from './config';
import { PolicyError, type ChatMessage, type Policy, type PolicyResponse } from './policies/policy';
import type { Toolbox, ToolCallOutcome } from './tools/toolbox';

export interface AgentRunInput {
  policy: Policy;
  toolbox: Toolbox;
  sandbox: Sandbox;
  recorder: TrajectoryRecorder;
  config: AgentConfig;
  /** The whole conversation so far: the opening messages of a new run, or every message of a resumed one. */
  messages: ChatMessage[];
  /** How many of `messages` earlier turns already recorded (0 for a new run). */
  recordedMessages: number;
  /** The work tree's diff when the loop starts: '' for a new run, the last recorded diff for a resumed one. */
  startDiff: string;
  /** A reply without tool calls is a final answer that ends the run like `submit` (conversational tasks), not an error. */
  answerEndsRun?: boolean;
  signal?: AbortSignal;
}

export interface AgentRunOutcome {
  exitStatus: ExitStatus;
  /** What ended the run, for every status but `submitted`. */
  reason?: string;
}

const NO_TOOL_CALL = 'Your reply had no tool call. Every reply must call a tool; call `submit` when the fix is done.';
const FORMAT_ERRORS = new Set(['invalid_json', 'unknown_tool', 'invalid_arguments']);
const CONTEXT_OVERFLOW = /context|maximum.*tokens|too long|too many tokens/i;

/** Why the loop stops; thrown from inside a step so the control flow and the record cannot disagree. */
class StopRun extends Error {
  constructor(
    readonly exitStatus: ExitStatus,
    readonly reason?: string,
  ) {
    super(reason ?? exitStatus);
  }
}

export async function runAgent(input: AgentRunInput): Promise<AgentRunOutcome> {
  const state: LoopState = {
    started: performance.now(),
    tokens: 0,
    cost: 0,
    formatErrorsInARow: 0,
    recorded: input.recordedMessages,
    diff: input.startDiff,
  };
  try {
    for (;;) {
      checkLimits(input, state);
      if (await step(input, state)) return { exitStatus: 'submitted' };
    }
  } catch (error) {
    return stopFor(error, input.signal);
  }
}

interface LoopState {
  started: number;
  tokens: number;
  cost: number;
  formatErrorsInARow: number;
  /** Messages already written in recorded turns. */
  recorded: number;
  /** The diff after the last recorded turn. */
  diff: string;
}

function checkLimits({ config, recorder, signal }: AgentRunInput, state: LoopState): void {
  if (signal?.aborted) throw new StopRun('cancelled', 'cancelled by the user');
  if (recorder.turnCount >= config.maxTurns) throw new StopRun('turn_limit', `reached ${config.maxTurns} turns`);
  if (state.tokens >= config.maxTokens)
    throw new StopRun('token_limit', `used ${state.tokens} of ${config.maxTokens} tokens`);
  if (state.cost >= config.maxCostUsd)
    throw new StopRun('cost_limit', `spent $${state.cost.toFixed(4)} of $${config.maxCostUsd}`);
  const elapsed = performance.now() - state.started;
  if (elapsed >= config.maxWallMs)
    throw new StopRun('time_limit', `ran ${Math.round(elapsed / 1000)} s of ${config.maxWallMs / 1000} s`);
}

/** One turn: a model call, its tool calls, the diff after them, recorded as one line. Returns true on submit. */
async function step(input: AgentRunInput, state: LoopState): Promise<boolean> {
  const { policy, toolbox, sandbox, recorder, config, messages, signal } = input;
  const startedAt = new Date().toISOString();
  const turnStarted = performance.now();
  const request = compactForContext(messages, config);
  const sent = describeRequest(messages, request.messages);
  if (sent) {
    // What this turn's model call was sent, so that exports train on that rather than on the whole history.
    await recorder.recordEvent('compaction', {
      strategy: 'sliding_window',
      turns_elided: request.elided,
      estimated_tokens_before: estimateTokens(messages),
      estimated_tokens_after: estimateTokens(request.messages),
      request: sent,
    });
  }
  const response = await policy.next({ messages: request.messages, tools: toolbox.definitions, signal });
  state.tokens += response.usage.promptTokens + response.usage.completionTokens;
  state.cost += response.cost ?? 0;
  messages.push(response.message);

  const calls = response.message.tool_calls ?? [];
  const answered = calls.length === 0 && input.answerEndsRun === true;
  const observations: Observation[] = [];
  const outcomes: ToolCallOutcome[] = [];
  const toolsStarted = performance.now();
  for (const call of calls) {
    const outcome = await toolbox.call(call, { sandbox, signal });
    outcomes.push(outcome);
    messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.output });
    observations.push({
      tool_call_id: call.id,
      tool: call.function.name,
      arguments: call.function.arguments,
      output: outcome.output,
      truncated: outcome.truncated === true,
      original_bytes: outcome.originalBytes,
      ...(outcome.exitCode !== undefined ? { exit_code: outcome.exitCode } : {}),
      is_error: outcome.isError,
    });
  }
  if (calls.length === 0 && !answered) {
    messages.push({ role: 'user', content: NO_TOOL_CALL });
    observations.push({ tool_call_id: null, tool: '(none)', output: NO_TOOL_CALL, truncated: false, is_error: true });
  }
  const toolsMs = performance.now() - toolsStarted;
  const formatErrors = answered
    ? 0
    : calls.length === 0
      ? 1
      : outcomes.filter((outcome) => outcome.error && FORMAT_ERRORS.has(outcome.error)).length;
  state.formatErrorsInARow =
    formatErrors > 0 && formatErrors === Math.max(calls.length, 1) ? state.formatErrorsInARow + 1 : 0;

  // Taking the diff costs an exec; after a turn of read-only calls the tree is as the last turn left it.
  const diff = calls.some((call) => toolbox.mayChangeWorkTree(call.function.name)) ? await sandbox.diff() : state.diff;
  await recorder.recordTurn({
    started_at: startedAt,
    messages: messages.slice(state.recorded),
    observations,
    diff,
    durations_ms: { model: response.modelMs, tools: toolsMs, total: performance.now() - turnStarted },
    tokens: turnTokens(response),
    cost_usd: response.cost,
    logprobs: tokenLogprobs(response),
    model: response.model,
    system_fingerprint: response.systemFingerprint,
    sampling: response.sampling,
    reasoning: response.reasoning,
    signals: {
      format_errors: formatErrors,
      tool_errors: outcomes.filter((outcome) => outcome.error === 'tool_failed').length,
      diff_changed: diff === state.diff ? 0 : 1,
    },
    extra:
      response.retries > 0 || response.finishReason
        ? { finish_reason: response.finishReason, retries: response.retries }
        : undefined,
  });
  state.recorded = messages.length;
  state.diff = diff;
  if (answered || outcomes.some((outcome) => outcome.submitted)) return true;
  if (state.formatErrorsInARow >= config.maxConsecutiveFormatErrors) {
    throw new StopRun('error', `${state.formatErrorsInARow} replies in a row without a usable tool call`);
  }
  return false;
}

function turnTokens({ usage }: PolicyResponse): Turn['tokens'] {
  return {
    input: usage.promptTokens,
    output: usage.completionTokens,
    ...(usage.cachedPromptTokens !== undefined ? { cached_input: usage.cachedPromptTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { reasoning: usage.reasoningTokens } : {}),
  };
}

/** Kept whenever the server returned either, so RL exports can use token ids without log-probabilities. */
function tokenLogprobs(response: PolicyResponse): Turn['logprobs'] {
  if (!response.logprobs?.length && !response.tokenIds?.completion.length) return undefined;
  return {
    token_ids: response.tokenIds?.completion ?? [],
    logprobs: (response.logprobs ?? []).map((entry) => entry.logprob),
  };
}

function stopFor(error: unknown, signal?: AbortSignal): AgentRunOutcome {
  if (error instanceof StopRun) return { exitStatus: error.exitStatus, reason: error.reason };
  // Not an outcome of this run: another process owns its record now, so the run stops here unrecorded.
  if (error instanceof LeaseLostError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  if (signal?.aborted) return { exitStatus: 'cancelled', reason: 'cancelled by the user' };
  // A conversation past the model's context window is where this run ended, not a broken server.
  if (error instanceof PolicyError && CONTEXT_OVERFLOW.test(message) && (error.status === 400 || error.status === 413))
    return { exitStatus: 'token_limit', reason: message };
  // The model server or the container engine failing is the machinery's fault, not the agent's.
  if (error instanceof InfrastructureError || error instanceof PolicyError)
    return { exitStatus: 'infra_error', reason: message };
  return { exitStatus: 'error', reason: message };
}

/** A rough count (4 characters a token) that errs high enough to compact before a real limit is reached. */
export function estimateTokens(messages: ChatMessage[]): number {
  return Math.ceil(JSON.stringify(messages).length / 4);
}

/**
 * Sliding-window compaction: when the conversation nears the context window, the system and task messages
 * stay, a note replaces the oldest turns, and the most recent turns go whole. Cuts fall on turn boundaries
 * (an assistant message), so a tool call is never separated from its result.
 */
export function compactForContext(
  messages: ChatMessage[],
  config: Pick<AgentConfig, 'contextWindowTokens' | 'keepRecentTurns'>,
): { messages: ChatMessage[]; elided: number } {
  if (estimateTokens(messages) <= config.contextWindowTokens * 0.8) return { messages, elided: 0 };
  const turnStarts = messages.flatMap((message, index) => (message.role === 'assistant' ? [index] : []));
  const opening = messages.slice(0, turnStarts[0] ?? messages.length);
  for (let keep = Math.min(config.keepRecentTurns, turnStarts.length - 1); keep >= 1; keep--) {
    const elided = turnStarts.length - keep;
    const note: ChatMessage = {
      role: 'user',
      content: `[${elided} earlier turns were removed to fit the context window. Their changes are still in the repository.]`,
    };
    const compacted = [...opening, note, ...messages.slice(turnStarts[elided])];
    if (estimateTokens(compacted) <= config.contextWindowTokens * 0.8 || keep === 1)
      return { messages: compacted, elided };
  }
  return { messages, elided: 0 };
}
