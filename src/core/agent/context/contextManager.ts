/**
 * Keeps each request inside the model's context window. Before a request would pass its budget (the window
 * less room for the reply and the tool definitions) the oldest turns are elided down to 60 % of the budget,
 * which leaves room for several turns before the next compaction (and keeps the prompt's prefix stable for
 * prefix caching). Two strategies:
 * - `sliding-window`: a note stands in for the elided turns;
 * - `summarize`: the model itself writes a summary of them, updated at each compaction with the previous
 *   summary as its start, in the spirit of SUPO and MEM1's consolidated working memory.
 * A user's follow-up is never elided, and the latest turn never is: when it alone does not fit, its largest
 * messages (an observation, the task) are shortened in the middle. When the server still says the request is
 * too long, the sizes it names correct the window and the token estimate, and the turn is compacted again.
 * Every compaction is recorded as an event with the token counts before and after (and what a summary cost,
 * charged to the run's budget) and the request it
 * leads to, as ranges of the conversation and the messages put in place of others; that request holds for
 * the turns after it, with what they add, until the next compaction (trajectory/request.requestOfTurn).
 */
import type { ModelCall, RunBudget } from '../budget';
import { notes } from '../notes';
import type { ChatMessage, ContextOverflow, Policy, TokenUsage } from '../policies/policy';
import { PolicyError } from '../policies/policy';
import type { ToolDefinition } from '../tools/tool';
import { describeRequest } from '../../trajectory/request';
import type { RequestPart } from '../../trajectory/types';
import { splitUnits, type Unit } from './conversationUnits';
import { TokenMeter } from './tokenMeter';

export type CompactionStrategy = 'sliding-window' | 'summarize';
export const COMPACTION_STRATEGIES: readonly CompactionStrategy[] = ['sliding-window', 'summarize'];

/** What compaction has done to a conversation so far; restored from the last compaction event on resume. */
export interface CompactionState {
  /** Turns elided, counted from the first after the opening; pinned follow-ups are not counted. */
  elidedTurns: number;
  /** The summary standing in for the elided turns (`summarize`). */
  summary?: string;
  /** Messages sent shortened, by their index in the conversation: the shortened content. */
  shortened: Record<string, string>;
}

export interface ContextManagerOptions {
  policy: Policy;
  strategy: CompactionStrategy;
  tools: readonly ToolDefinition[];
  recordEvent: (kind: string, data: Record<string, unknown>) => Promise<void>;
  /** The run's budget, charged for the summaries the model writes. */
  budget: RunBudget;
  /** The window when the policy does not say (128k). */
  fallbackWindow: number;
  initial?: CompactionState;
}

const COMPACT_TO = 0.6;
const COMPACT_TO_AFTER_OVERFLOW = 0.5;
/** A shortened message keeps at least this much of its head and tail. */
const MIN_SHORTENED_CHARS = 2000;
const SUMMARY_CHARS_ESTIMATE = 2400;

const SUMMARY_SYSTEM = [
  'You keep the working memory of a coding agent that works on a repository through tools.',
  "Older turns of its conversation are being removed to fit the model's context window; write the summary that will stand in for them.",
  'Keep what the agent needs to carry on: what it found (files, functions, line numbers, error messages), what it changed and why, which commands worked or failed, and what is still open.',
  'Be specific and brief: at most 300 words, no preamble.',
].join('\n');

export class ContextManager {
  private state: CompactionState;
  private readonly meter = new TokenMeter();
  private windowTokens: number;
  private pendingOverflow?: ContextOverflow;

  constructor(private readonly options: ContextManagerOptions) {
    this.state = options.initial ?? { elidedTurns: 0, shortened: {} };
    this.windowTokens = options.policy.info.contextWindow?.tokens ?? options.fallbackWindow;
  }

  get window(): number {
    return this.windowTokens;
  }

  /** Tokens a request may hold: the window less the reply's room, the tool definitions and a margin. */
  get budget(): number {
    const settings = this.options.policy.info.settings;
    const replyRoom = settings?.maxTokens ?? Math.min(4096, Math.floor(this.windowTokens / 8));
    const toolTokens = this.meter.tokensOfChars(this.meter.toolChars(this.options.tools));
    return Math.max(256, this.windowTokens - replyRoom - toolTokens - 64);
  }

  /** The messages to send now, compacting first when they would not fit. */
  async request(
    conversation: readonly ChatMessage[],
    signal?: AbortSignal,
  ): Promise<{ messages: ChatMessage[]; chars: number }> {
    let messages = this.build(conversation, this.state);
    const reason = this.pendingOverflow
      ? 'overflow'
      : this.meter.tokens(messages) > this.budget
        ? 'threshold'
        : undefined;
    if (reason) messages = await this.compact(conversation, reason, signal);
    let chars = this.meter.toolChars(this.options.tools);
    for (const message of messages) chars += this.meter.chars(message);
    return { messages, chars };
  }

  /** The server counted a request of `chars` characters as `usage.promptTokens`: the estimate follows it. */
  observe(chars: number, usage: TokenUsage): void {
    if (!usage.estimated) this.meter.calibrate(chars, usage.promptTokens);
  }

  /** The server refused a request of `chars` characters as too long: correct the window and the estimate. */
  overflowed(overflow: ContextOverflow, chars: number): void {
    if (overflow.limit && overflow.limit < this.windowTokens) this.windowTokens = overflow.limit;
    if (overflow.promptTokens) this.meter.correct(chars, overflow.promptTokens);
    // Without sizes there is nothing to learn from but the refusal itself.
    else if (!overflow.limit) this.windowTokens = Math.floor(this.windowTokens * 0.8);
    this.pendingOverflow = overflow;
  }

  private tokens(conversation: readonly ChatMessage[], state: CompactionState): number {
    return this.meter.tokens(this.build(conversation, state));
  }

  private async compact(
    conversation: readonly ChatMessage[],
    reason: 'threshold' | 'overflow',
    signal?: AbortSignal,
  ): Promise<ChatMessage[]> {
    const overflow = this.pendingOverflow;
    this.pendingOverflow = undefined;
    const previous = this.state;
    const before = this.tokens(conversation, previous);
    const target = Math.floor(this.budget * (reason === 'overflow' ? COMPACT_TO_AFTER_OVERFLOW : COMPACT_TO));
    const { units } = splitUnits(conversation);
    const turns = units.filter((unit) => unit.kind === 'turn');
    const summarizing = this.options.strategy === 'summarize';
    const placeholder = 'x'.repeat(SUMMARY_CHARS_ESTIMATE);
    const trial = (elidedTurns: number, shortened: Record<string, string>): CompactionState => ({
      elidedTurns,
      shortened,
      ...(summarizing && elidedTurns > 0 ? { summary: previous.summary ?? placeholder } : {}),
    });
    let elided = previous.elidedTurns;
    while (elided < turns.length - 1 && this.tokens(conversation, trial(elided, previous.shortened)) > target) elided++;
    let shortened = previous.shortened;
    if (this.tokens(conversation, trial(elided, shortened)) > target)
      shortened = this.shorten(conversation, trial(elided, shortened), target);
    let summary = previous.summary;
    let spent: ModelCall | undefined;
    let summaryError: string | undefined;
    if (summarizing && elided > previous.elidedTurns) {
      const written = await this.summarize(
        conversation,
        turns.slice(previous.elidedTurns, elided),
        previous.summary,
        signal,
      );
      if ('text' in written) ({ text: summary, spent } = written);
      else summaryError = written.error;
    }
    this.state = { elidedTurns: elided, shortened, ...(summary ? { summary } : {}) };
    const messages = this.build(conversation, this.state);
    const newlyShortened = Object.keys(shortened).filter((index) => previous.shortened[index] !== shortened[index]);
    await this.options.recordEvent('compaction', {
      strategy: this.options.strategy,
      reason,
      ...(overflow ? { server_said: overflow } : {}),
      window: this.windowTokens,
      budget: this.budget,
      estimated_tokens_before: before,
      estimated_tokens_after: this.meter.tokens(messages),
      turns_elided: elided,
      turns_elided_now: elided - previous.elidedTurns,
      ...(newlyShortened.length ? { messages_shortened_now: newlyShortened.map(Number) } : {}),
      ...(Object.keys(shortened).length
        ? {
            shortened_messages: Object.keys(shortened)
              .map(Number)
              .sort((a, b) => a - b),
          }
        : {}),
      ...(summary !== previous.summary && summary ? { summary } : {}),
      ...(spent ? { usage: await this.options.budget.charge('summary', spent) } : {}),
      ...(summaryError ? { summary_error: summaryError } : {}),
      request: describeRequest(conversation, messages) ?? [{ messages: [0, conversation.length] }],
      conversation_length: conversation.length,
    });
    return messages;
  }

  /**
   * The request under `state`: the opening, a note or the summary where turns were elided, follow-ups, the
   * kept turns. Kept messages are the conversation's own objects, so the record can name them as ranges.
   */
  private build(conversation: readonly ChatMessage[], state: CompactionState): ChatMessage[] {
    const { openingEnd, units } = splitUnits(conversation);
    const messages: ChatMessage[] = [];
    const emit = (from: number, to: number) => {
      for (let index = from; index < to; index++) {
        const short = state.shortened[index];
        messages.push(
          short === undefined ? conversation[index] : ({ ...conversation[index], content: short } as ChatMessage),
        );
      }
    };
    emit(0, openingEnd);
    let elidedSoFar = 0;
    let pending = 0;
    let summaryPlaced = false;
    const flush = () => {
      if (pending === 0) return;
      if (state.summary && !summaryPlaced) messages.push(notes.summary(state.elidedTurns, state.summary));
      else if (!state.summary) messages.push(notes.elidedTurns(pending));
      summaryPlaced ||= Boolean(state.summary);
      pending = 0;
    };
    for (const unit of units) {
      if (unit.kind === 'turn' && elidedSoFar < state.elidedTurns) {
        elidedSoFar++;
        pending++;
        continue;
      }
      flush();
      emit(unit.start, unit.end);
    }
    flush();
    return messages;
  }

  /**
   * Shortens the largest messages still sent (observations, the task, a follow-up; never the system prompt or
   * a reply) to half their size, largest first, until the request fits or nothing can be shortened further.
   */
  private shorten(
    conversation: readonly ChatMessage[],
    state: CompactionState,
    target: number,
  ): Record<string, string> {
    const shortened = { ...state.shortened };
    const sent = new Set(this.build(conversation, state));
    const kept = new Set<number>();
    conversation.forEach((message, index) => {
      if (sent.has(message) || shortened[index] !== undefined) kept.add(index);
    });
    const candidates = [...kept].filter(
      (index) => conversation[index].role === 'tool' || conversation[index].role === 'user',
    );
    const size = (index: number) => (shortened[index] ?? conversation[index].content ?? '').length;
    for (;;) {
      if (this.tokens(conversation, { ...state, shortened }) <= target) return shortened;
      const largest = candidates
        .filter((index) => size(index) > MIN_SHORTENED_CHARS)
        .sort((a, b) => size(b) - size(a))[0];
      if (largest === undefined) return shortened;
      shortened[largest] = shortenMiddle(
        conversation[largest].content ?? '',
        Math.max(MIN_SHORTENED_CHARS, Math.floor(size(largest) / 2)),
      );
    }
  }

  private async summarize(
    conversation: readonly ChatMessage[],
    turns: Unit[],
    previous: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ text: string; spent: ModelCall } | { error: string }> {
    const room = Math.floor((this.windowTokens - Math.min(4096, this.windowTokens / 4)) * this.meter.ratio * 0.6);
    const transcript = shortenMiddle(renderTurns(conversation, turns), Math.max(MIN_SHORTENED_CHARS, room));
    const content = `${previous ? `Your summary so far:\n${previous}\n\n` : ''}Turns to fold into the summary:\n\n${transcript}`;
    try {
      const response = await this.options.policy.next({
        messages: [
          { role: 'system', content: SUMMARY_SYSTEM },
          { role: 'user', content },
        ],
        tools: [],
        signal,
      });
      const text = response.message.content?.trim();
      if (!text) return { error: 'the model wrote an empty summary' };
      return {
        text,
        spent: response,
      };
    } catch (error) {
      if (signal?.aborted || !(error instanceof PolicyError)) throw error;
      return { error: error.message };
    }
  }
}

/** The elided turns as a transcript for the summary call, each observation kept short. */
function renderTurns(conversation: readonly ChatMessage[], turns: Unit[]): string {
  const lines: string[] = [];
  for (const turn of turns) {
    for (const message of conversation.slice(turn.start, turn.end)) {
      if (message.role === 'assistant') {
        if (message.content) lines.push(`You wrote: ${message.content}`);
        for (const call of message.tool_calls ?? [])
          lines.push(`You called ${call.function.name} ${call.function.arguments}`);
      } else if (message.role === 'tool') lines.push(`Result: ${shortenMiddle(message.content, 1500)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The head and tail of `text` in `maxChars`, with a note of what was cut between them. */
export function shortenMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = `\n[… ${text.length - maxChars} characters removed here to fit the context window …]\n`;
  const keep = Math.max(0, maxChars - note.length);
  const head = Math.ceil(keep / 2);
  return text.slice(0, head) + note + text.slice(text.length - (keep - head));
}

/** The compaction state the last `compaction` event of a recorded run left, for resuming it. */
export function compactionStateFromEvents(
  events: readonly { kind: string; data?: Record<string, unknown> }[],
): CompactionState | undefined {
  const compactions = events.filter((event) => event.kind === 'compaction' && event.data);
  const data = compactions.at(-1)?.data;
  if (!data || !Array.isArray(data.request)) return undefined;
  // The request's own messages that are not the harness's notes are the shortened ones, in index order.
  const inserted = (data.request as RequestPart[]).flatMap((part) =>
    'message' in part && !(part.message.role === 'user' && (part.message.content ?? '').startsWith('[harness]'))
      ? [part.message.content ?? '']
      : [],
  );
  const indices = Array.isArray(data.shortened_messages) ? (data.shortened_messages as number[]) : [];
  const shortened = Object.fromEntries(indices.map((index, position) => [String(index), inserted[position] ?? '']));
  const summary = [...compactions].reverse().find((event) => typeof event.data?.summary === 'string')?.data?.summary as
    string | undefined;
  return {
    elidedTurns: typeof data.turns_elided === 'number' ? data.turns_elided : 0,
    shortened,
    ...(summary ? { summary } : {}),
  };
}
