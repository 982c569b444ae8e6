/**
 * The agent loop: the conversation goes to the policy, its tool calls run in the sandbox, their results
 * come back as messages, and every finished turn is recorded, until the agent submits or a limit is hit.
 * Each request is fitted to the model's context window first (context/contextManager); a reply is read
 * for its tool calls however the model wrote them (natively, or as text), and a reply that was cut off,
 * empty or without a call gets a note that says so instead of being run.
 */
import { dirname } from 'node:path';
import type { Sandbox } from '../sandbox/sandbox';
import { InfrastructureError, takeDiff } from '../sandbox/sandbox';
import { LeaseLostError, type TrajectoryRecorder } from '../trajectory/recorder';
import type { ExitStatus, Observation, Turn } from '../trajectory/types';
import type { RunBudget } from './budget';
import type { AgentConfig } from './config';
import { ContextManager, type CompactionState } from './context/contextManager';
import { LiveTurnWriter } from './liveTurn';
import { notes } from './notes';
import { FALLBACK_CONTEXT_WINDOW } from './policies/modelSettings';
import {
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyResponse,
  type ToolCall,
  type UserMessage,
} from './policies/policy';
import { parseTextToolCalls, type TextCallFormat } from './textToolCalls';
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
  /** The run's budget (tokens, cost, time), shared by every round of its conversation. */
  budget: RunBudget;
  /** A reply without tool calls is a final answer that ends the run like `submit` (conversational tasks), not an error. */
  answerEndsRun?: boolean;
  /** Compaction as a resumed run left it (its last `compaction` event). */
  compaction?: CompactionState;
  /** Replies in a row without a usable tool call that the conversation ends with so far (see unusableRepliesAtEnd). */
  unusableReplies?: number;
  /** Why the repository is broken, when the agent broke it in the last recorded turn: the loop stops at once. */
  brokenRepository?: string;
  signal?: AbortSignal;
}

export interface AgentRunOutcome {
  exitStatus: ExitStatus;
  /** What ended the run, for every status but `submitted`. */
  reason?: string;
  /** How many of the conversation's messages recorded turns hold when the loop stops. */
  recordedMessages: number;
  /** The work tree's diff after the last recorded turn. */
  diff: string;
  /** Replies in a row without a usable tool call when the loop stops. */
  unusableReplies: number;
}

/** Why a run stopped by its abort signal ended, wherever the cancel landed. */
export const CANCEL_REASON = 'cancelled by the user';

const FORMAT_ERRORS = new Set(['invalid_json', 'unknown_tool', 'invalid_arguments']);
/** A turn whose request the server keeps calling too long is compacted and asked again at most this often. */
const OVERFLOW_RETRIES = 3;
/**
 * Finish reasons of a reply cut off at an output limit: its calls may be incomplete, so none is run. The Responses
 * API says `max_output_tokens`.
 */
const CUT_OFF_REASONS = new Set(['length', 'max_tokens', 'max_output_tokens', 'model_context_window_exceeded']);
/** Finish reasons of a reply the server stopped on its content (OpenAI's filter, Anthropic's refusal): cut off too. */
const CONTENT_STOP_REASONS = new Set(['content_filter', 'refusal']);

/** Why the loop stops; thrown from inside a step so the control flow and the record cannot disagree. */
class StopRun extends Error {
  constructor(
    readonly exitStatus: ExitStatus,
    readonly reason?: string,
  ) {
    super(reason ?? exitStatus);
  }
}

/**
 * A conversation keeps its compaction across calls of runAgent (a CodeAssistBench conversation runs the
 * loop once per user round on the same messages).
 */
const contexts = new WeakMap<ChatMessage[], ContextManager>();

function contextFor(input: AgentRunInput): ContextManager {
  let context = contexts.get(input.messages);
  if (!context) {
    context = new ContextManager({
      policy: input.policy,
      strategy: input.config.compaction,
      tools: input.toolbox.definitions,
      recordEvent: (kind, data) => input.recorder.recordEvent(kind, data),
      budget: input.budget,
      fallbackWindow: FALLBACK_CONTEXT_WINDOW,
      initial: input.compaction,
    });
    contexts.set(input.messages, context);
  }
  return context;
}

export async function runAgent(input: AgentRunInput): Promise<AgentRunOutcome> {
  const state: LoopState = {
    unusableReplies: input.unusableReplies ?? 0,
    brokenRepository: input.brokenRepository,
    recorded: input.recordedMessages,
    diff: input.startDiff,
  };
  const stopped = (outcome: Pick<AgentRunOutcome, 'exitStatus' | 'reason'>): AgentRunOutcome => ({
    ...outcome,
    recordedMessages: state.recorded,
    diff: state.diff,
    unusableReplies: state.unusableReplies,
  });
  const turn: TurnParts = { context: contextFor(input), live: new LiveTurnWriter(dirname(input.recorder.path)) };
  try {
    for (;;) {
      checkLimits(input, state);
      if (await step(input, state, turn)) return stopped({ exitStatus: 'submitted' });
    }
  } catch (error) {
    return stopped(stopFor(error, input.signal));
  } finally {
    await turn.live.end();
  }
}

interface LoopState {
  /** Replies in a row without a usable tool call, up to the last recorded turn. */
  unusableReplies: number;
  /** Why git can take no patch of the work tree, once a turn of the agent's broke its repository. */
  brokenRepository?: string;
  /** Messages already written in recorded turns. */
  recorded: number;
  /** The diff after the last recorded turn. */
  diff: string;
}

interface TurnParts {
  context: ContextManager;
  live: LiveTurnWriter;
}

function checkLimits({ config, recorder, signal, budget }: AgentRunInput, state: LoopState): void {
  // Checked first: the turn that reached it ends the run, whatever limit the next turn would reach.
  if (state.unusableReplies >= config.maxConsecutiveFormatErrors)
    throw new StopRun('error', `${state.unusableReplies} replies in a row without a usable tool call`);
  // The agent's failure, never the machinery's: its turn is recorded and the run is graded without a patch.
  if (state.brokenRepository !== undefined) throw new StopRun('error', brokenRepositoryReason(state.brokenRepository));
  if (signal?.aborted) throw new StopRun('cancelled', CANCEL_REASON);
  if (recorder.turnCount >= config.maxTurns) throw new StopRun('turn_limit', `reached ${config.maxTurns} turns`);
  const exhausted = budget.exhausted();
  if (exhausted) throw new StopRun(exhausted.exitStatus, exhausted.reason);
}

/** Whether a recorded turn's reply had no usable tool call: no call at all, or every call it made a format error. */
function unusableReply(turn: Pick<Turn, 'messages' | 'signals'>): boolean {
  const formatErrors = turn.signals?.format_errors ?? 0;
  const calls = turn.messages.find((message) => message.role === 'assistant')?.tool_calls?.length ?? 0;
  return formatErrors > 0 && formatErrors === Math.max(calls, 1);
}

/**
 * How many replies in a row without a usable tool call the recorded turns end with: a resumed run counts on
 * from there, so a stop does not buy the agent more of them.
 */
export function unusableRepliesAtEnd(turns: Array<Pick<Turn, 'messages' | 'signals'>>): number {
  let count = 0;
  while (count < turns.length && unusableReply(turns[turns.length - 1 - count])) count++;
  return count;
}

/** Why a run ended whose agent broke its repository, given why git takes no patch of it. */
export function brokenRepositoryReason(broken: string): string {
  return `the agent broke the repository, so no patch can be taken: ${broken}`;
}

/** Why the repository is broken, when the agent broke it in the last of the recorded turns. */
export function brokenRepositoryAtEnd(turns: Array<Pick<Turn, 'extra'>>): string | undefined {
  const broken = turns.at(-1)?.extra?.repository_broken;
  return typeof broken === 'string' ? broken : undefined;
}

/**
 * Whether a recorded turn ended the agent's round: it called `submit`, or (in a conversation, where a reply
 * without tool calls is an answer) it replied without calling anything and got no note back. A turn that broke
 * the repository ends the run instead, even if it submitted.
 */
export function endsRound(turn: Pick<Turn, 'messages' | 'observations' | 'extra'>): boolean {
  if (turn.extra?.repository_broken !== undefined) return false;
  if (turn.observations.some((observation) => observation.tool === 'submit' && !observation.is_error)) return true;
  const assistant = turn.messages.find((message) => message.role === 'assistant');
  return assistant !== undefined && !assistant.tool_calls?.length && turn.observations.length === 0;
}

/** What a model is sent: the conversation without the marks kept for the record (who wrote a user message). */
function forModel(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((message) => {
    if (message.role !== 'user' || message.extra === undefined) return message;
    return { role: 'user', content: message.content };
  });
}

/** One turn: a model call, its tool calls, the diff after them, recorded as one line. Returns true on submit. */
async function step(input: AgentRunInput, state: LoopState, { context, live }: TurnParts): Promise<boolean> {
  const { toolbox, sandbox, recorder, messages, signal } = input;
  const startedAt = new Date().toISOString();
  const turnStarted = performance.now();
  live.begin(recorder.turnCount);
  const { response, overflows } = await askModel(input, context, live);
  await input.budget.charge('agent', response);
  const reply = readReply(response, input, recorder.turnCount);
  messages.push(reply.message);

  const answered = reply.answer === true;
  const observations: Observation[] = [];
  const outcomes: ToolCallOutcome[] = [];
  const toolsStarted = performance.now();
  if (reply.calls.length) live.toolsStarted(reply.calls.map((call) => ({ id: call.id, ...call.function })));
  for (const call of reply.calls) {
    const onOutput = (text: string) => live.toolOutput({ id: call.id, name: call.function.name }, text);
    const outcome = await toolbox.call(call, { sandbox, signal, onOutput });
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
  if (reply.note) {
    messages.push(reply.note);
    observations.push({
      tool_call_id: null,
      tool: '(none)',
      output: reply.note.content,
      truncated: false,
      is_error: true,
    });
  }
  const toolsMs = performance.now() - toolsStarted;
  const calls = reply.calls;
  const formatErrors = answered
    ? 0
    : calls.length === 0
      ? 1
      : outcomes.filter((outcome) => outcome.error && FORMAT_ERRORS.has(outcome.error)).length;

  // Taking the diff costs an exec; after a turn of read-only calls the tree is as the last turn left it.
  const tree = calls.some((call) => toolbox.mayChangeWorkTree(call.function.name))
    ? await takeDiff(sandbox)
    : { diff: state.diff };
  const diff = 'diff' in tree ? tree.diff : undefined;
  const broken = 'broken' in tree ? tree.broken : undefined;
  const turn = await recorder.recordTurn({
    started_at: startedAt,
    messages: messages.slice(state.recorded),
    observations,
    diff,
    durations_ms: { model: response.modelMs, tools: toolsMs, total: performance.now() - turnStarted },
    tokens: turnTokens(response),
    cost_usd: response.cost,
    logprobs: tokenLogprobs(response),
    // Of this call's request: after a compaction or a retry without reasoning, the request that was answered.
    prompt_token_ids: response.tokenIds?.prompt?.length ? response.tokenIds.prompt : undefined,
    model: response.model,
    system_fingerprint: response.systemFingerprint,
    sampling: response.sampling,
    reasoning: response.reasoning,
    signals: {
      format_errors: formatErrors,
      tool_errors: outcomes.filter((outcome) => outcome.error === 'tool_failed').length,
      // A tree without a patch is no change to credit.
      diff_changed: diff === undefined || diff === state.diff ? 0 : 1,
    },
    extra: turnExtra(response, reply, overflows, broken),
  });
  await live.end();
  state.recorded = messages.length;
  state.diff = diff ?? state.diff;
  state.brokenRepository = broken;
  state.unusableReplies = unusableReply(turn) ? state.unusableReplies + 1 : 0;
  return endsRound(turn);
}

function turnTokens({ usage }: PolicyResponse): Turn['tokens'] {
  return {
    input: usage.promptTokens,
    output: usage.completionTokens,
    ...(usage.cachedPromptTokens !== undefined ? { cached_input: usage.cachedPromptTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { reasoning: usage.reasoningTokens } : {}),
  };
}

/**
 * The model's reply to the conversation as compaction fits it to the window. A server that calls the request
 * too long has the sizes it names learnt, the turn compacted further and asked again.
 */
async function askModel(
  input: AgentRunInput,
  context: ContextManager,
  live: LiveTurnWriter,
): Promise<{ response: PolicyResponse; overflows: number }> {
  for (let overflows = 0; ; overflows++) {
    const request = await context.request(input.messages, input.signal);
    try {
      const response = await input.policy.next({
        messages: forModel(request.messages),
        tools: input.toolbox.definitions,
        signal: input.signal,
        onDelta: (delta) => live.delta(delta),
      });
      context.observe(request.chars, response.usage);
      return { response, overflows };
    } catch (error) {
      if (!(error instanceof PolicyError) || !error.overflow || overflows >= OVERFLOW_RETRIES) throw error;
      live.delta({ kind: 'restart' });
      context.overflowed(error.overflow, request.chars);
    }
  }
}

/** A reply read for what to run, and what the conversation keeps of it. */
interface Reply {
  /** The assistant message as recorded and sent back. */
  message: AssistantMessage;
  calls: ToolCall[];
  /** How the calls were written, when there are any. */
  format?: 'native' | TextCallFormat;
  /** The reply's text as the model wrote it, when reading calls out of it changed the message. */
  rawContent?: string;
  /** Calls of a reply that was cut off: kept in the record, never run or sent back. */
  cutCalls?: ToolCall[];
  /** A final answer of a conversational task. */
  answer?: boolean;
  /** What the harness tells the model when nothing could be run. */
  note?: UserMessage;
}

function readReply(response: PolicyResponse, input: AgentRunInput, turnIndex: number): Reply {
  const { message } = response;
  const text = message.content ?? '';
  const native = message.tool_calls ?? [];
  const finish = response.finishReason ?? '';
  if (CUT_OFF_REASONS.has(finish) || CONTENT_STOP_REASONS.has(finish)) {
    const started = native.length ? native : textCallsOf(text, input, turnIndex);
    const calls = started.map((call) => call.function.name);
    return {
      message: { ...withoutCalls(message), content: text },
      calls: [],
      ...(native.length ? { cutCalls: native } : {}),
      note: CONTENT_STOP_REASONS.has(finish)
        ? notes.stoppedOnContent(calls)
        : notes.cutOff({
            tokens: response.usage.completionTokens,
            limit: input.policy.info.settings?.maxTokens,
            calls,
          }),
    };
  }
  if (native.length) return { message, calls: native, format: 'native' };
  if (!text.trim()) return { message: { ...message, content: '' }, calls: [], note: notes.emptyReply() };
  const parsed = parseTextToolCalls(text, input.toolbox.definitions, turnIndex, {
    bashBlocks: !input.answerEndsRun,
  });
  if (parsed && 'problem' in parsed) return { message, calls: [], note: notes.textCallProblem(parsed.problem) };
  if (parsed)
    return {
      message: { ...message, content: parsed.content || null, tool_calls: parsed.calls },
      calls: parsed.calls,
      format: parsed.format,
      rawContent: text,
    };
  if (input.answerEndsRun) return { message, calls: [], answer: true };
  return { message, calls: [], note: notes.noToolCall() };
}

/** Calls written as text in a reply, read only to name them when the reply was cut off. */
function textCallsOf(text: string, input: AgentRunInput, turnIndex: number): ToolCall[] {
  const parsed = parseTextToolCalls(text, input.toolbox.definitions, turnIndex);
  return parsed && 'calls' in parsed ? parsed.calls : [];
}

function withoutCalls(message: AssistantMessage): AssistantMessage {
  return { role: 'assistant', content: message.content, ...(message.extra ? { extra: message.extra } : {}) };
}

/** What the turn record keeps of the call beyond the message: the server's answer about itself and the reply. */
function turnExtra(
  response: PolicyResponse,
  reply: Reply,
  overflows: number,
  brokenRepository: string | undefined,
): Turn['extra'] {
  const { usage } = response;
  const extra: Record<string, unknown> = {
    finish_reason: response.finishReason,
    retries: response.retries || undefined,
    cache_write_tokens: usage.cacheWriteTokens,
    usage_estimated: usage.estimated,
    tool_call_format: reply.format,
    raw_content: reply.rawContent,
    cut_tool_calls: reply.cutCalls,
    workarounds: response.workarounds,
    context_overflows: overflows || undefined,
    repository_broken: brokenRepository,
  };
  const kept = Object.fromEntries(Object.entries(extra).filter(([, value]) => value !== undefined));
  return Object.keys(kept).length ? kept : undefined;
}

/** Kept whenever the server returned either, so RL exports can use token ids without log-probabilities. */
function tokenLogprobs(response: PolicyResponse): Turn['logprobs'] {
  if (!response.logprobs?.length && !response.tokenIds?.completion.length) return undefined;
  return {
    token_ids: response.tokenIds?.completion ?? [],
    logprobs: (response.logprobs ?? []).map((entry) => entry.logprob),
  };
}

function stopFor(error: unknown, signal?: AbortSignal): Pick<AgentRunOutcome, 'exitStatus' | 'reason'> {
  if (error instanceof StopRun) return { exitStatus: error.exitStatus, reason: error.reason };
  // Not an outcome of this run: another process owns its record now, so the run stops here unrecorded.
  if (error instanceof LeaseLostError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  if (signal?.aborted) return { exitStatus: 'cancelled', reason: CANCEL_REASON };
  // A conversation that stays past the model's context window after compaction is where this run ended.
  if (error instanceof PolicyError && error.overflow) return { exitStatus: 'token_limit', reason: message };
  // The model server or the container engine failing is the machinery's fault, not the agent's; so is anything else
  // thrown here (a bug, a reply of a shape nothing read): the agent's own failures stop the run as StopRun.
  if (error instanceof InfrastructureError || error instanceof PolicyError)
    return { exitStatus: 'infra_error', reason: message };
  return { exitStatus: 'infra_error', reason: `${error instanceof Error ? error.name : 'Error'}: ${message}` };
}
