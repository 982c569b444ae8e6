/**
 * Builds one chat completion out of an OpenAI-compatible SSE stream, passing each piece on as it arrives.
 * Beyond OpenAI's fields it keeps what other servers stream: `reasoning_content` / `reasoning` (vLLM, DeepSeek,
 * llama.cpp, Ollama), vLLM's `token_ids` per chunk and `prompt_token_ids` on the first, tool-call pieces
 * that come without an `index` (some servers send each call whole), a call's `extra_content` (Gemini's thought
 * signature, on the piece that carries the call or on one after it) and OpenRouter's `reasoning_details`.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { isRecord } from '../../trajectory/import/shared';
import type { ReasoningDetail, ReplyDelta, ToolCall } from './policy';
import { contentChunksOf, readContentChunks } from './contentChunks';

/** A completion in the non-streaming shape, with the extra fields servers add. */
export interface AccumulatedCompletion {
  id?: string;
  model?: string;
  system_fingerprint?: string;
  prompt_token_ids?: number[];
  usage?: Record<string, unknown>;
  timings?: Record<string, unknown>;
  choices: {
    message: {
      role: 'assistant';
      /** Text, or Mistral's thinking and text chunks (contentChunks.ts). */
      content: string | Record<string, unknown>[] | null;
      reasoning_content?: string;
      reasoning?: string;
      reasoning_details?: ReasoningDetail[];
      tool_calls?: ToolCall[];
    };
    finish_reason: string | null;
    logprobs: {
      content: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[];
    } | null;
    token_ids?: number[];
  }[];
}

type ChunkExtras = { prompt_token_ids?: number[]; timings?: Record<string, unknown> };
type ChoiceExtras = { token_ids?: number[] };
type DeltaExtras = { reasoning_content?: string | null; reasoning?: string | null; reasoning_details?: unknown };
type ToolCallPiece = {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string | Record<string, unknown> };
  extra_content?: unknown;
};

/**
 * The field a message or delta carries reasoning in: the first of `reasoning_content` and `reasoning` that holds a
 * string, '' included (DeepSeek's thinking mode sends '' on a tool-call turn and wants it back); null is none. vLLM
 * during its rename sent the same text under both names: it is read once, from `reasoning_content`.
 */
export function reasoningFieldOf(message: DeltaExtras): 'reasoning_content' | 'reasoning' | undefined {
  if (typeof message.reasoning_content === 'string') return 'reasoning_content';
  if (typeof message.reasoning === 'string') return 'reasoning';
  return undefined;
}

export class CompletionAccumulator {
  private content = '';
  private reasoning = '';
  /** The text of thinking chunks streamed in the content (Mistral's), which goes back as chunks. */
  private chunkThinking = '';
  /** Where the server streamed reasoning, once a delta carried the field (even empty): it goes back there. */
  private reasoningField?: 'reasoning_content' | 'reasoning';
  /** OpenRouter's reasoning blocks, put together out of their pieces. */
  private readonly reasoningDetails = new ReasoningDetailsAccumulator();
  /** Tool calls in the order they started. */
  private readonly calls: { id: string; name: string; arguments: string; extraContent?: Record<string, unknown> }[] =
    [];
  /** The call each server `index` last started. */
  private readonly slotOfIndex = new Map<number, number>();
  private finishReason: string | null = null;
  private readonly logprobs: AccumulatedCompletion['choices'][number]['logprobs'] & object = { content: [] };
  private readonly tokenIds: number[] = [];
  private readonly head: Omit<AccumulatedCompletion, 'choices'> = {};

  constructor(private readonly onDelta?: (delta: ReplyDelta) => void) {}

  push(chunk: ChatCompletionChunk): void {
    const extras = chunk as ChatCompletionChunk & ChunkExtras;
    this.head.id ??= chunk.id;
    if (chunk.model) this.head.model = chunk.model;
    if (chunk.system_fingerprint) this.head.system_fingerprint = chunk.system_fingerprint;
    if (extras.prompt_token_ids) this.head.prompt_token_ids = extras.prompt_token_ids;
    if (chunk.usage) this.head.usage = chunk.usage as unknown as Record<string, unknown>;
    if (extras.timings) this.head.timings = extras.timings;
    const choice = chunk.choices?.[0] as (ChatCompletionChunk.Choice & ChoiceExtras) | undefined;
    if (!choice) return;
    const delta = (choice.delta ?? {}) as ChatCompletionChunk.Choice.Delta & DeltaExtras;
    const content: unknown = delta.content;
    if (Array.isArray(content)) this.pushContentChunks(content);
    else if (delta.content) {
      this.content += delta.content;
      this.onDelta?.({ kind: 'content', text: delta.content });
    }
    const field = reasoningFieldOf(delta);
    if (field) {
      this.reasoningField ??= field;
      const reasoning = delta[field];
      if (reasoning) {
        this.reasoning += reasoning;
        this.onDelta?.({ kind: 'reasoning', text: reasoning });
      }
    }
    if (Array.isArray(delta.reasoning_details)) this.reasoningDetails.push(delta.reasoning_details);
    for (const piece of (delta.tool_calls ?? []) as ToolCallPiece[]) this.pushToolCall(piece);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    if (choice.logprobs?.content) this.logprobs.content.push(...choice.logprobs.content);
    if (choice.token_ids) this.tokenIds.push(...choice.token_ids);
  }

  /**
   * Adds a streamed tool-call piece, as openai-node's ChatCompletionStream does: grouped by `index`, the name
   * set (a server that repeats it in every piece does not double it), the arguments appended. Some servers
   * (Ollama's /v1, SGLang with some parsers) send every call at index 0, each with its own id: a piece whose
   * id differs from the call at its index starts a new call instead of running two calls together. A piece's
   * `extra_content` is the call's, kept whole.
   */
  private pushToolCall(piece: ToolCallPiece): void {
    const slot = this.slotFor(piece);
    const call = (this.calls[slot] ??= { id: '', name: '', arguments: '' });
    if (piece.id) call.id = piece.id;
    if (isRecord(piece.extra_content)) call.extraContent = piece.extra_content;
    const newName = piece.function?.name && piece.function.name !== call.name ? piece.function.name : undefined;
    if (newName) call.name = newName;
    const args = piece.function?.arguments;
    const text = typeof args === 'string' ? args : args === undefined ? '' : JSON.stringify(args);
    call.arguments += text;
    this.onDelta?.({
      kind: 'tool_call',
      index: slot,
      ...(piece.id ? { id: piece.id } : {}),
      ...(newName ? { name: newName } : {}),
      ...(text ? { arguments: text } : {}),
    });
  }

  /** The call a piece belongs to, by its position in the reply. */
  private slotFor(piece: ToolCallPiece): number {
    if (typeof piece.index === 'number') {
      const slot = this.slotOfIndex.get(piece.index);
      const startsAnother = slot !== undefined && piece.id && this.calls[slot].id && piece.id !== this.calls[slot].id;
      if (slot !== undefined && !startsAnother) return slot;
      this.slotOfIndex.set(piece.index, this.calls.length);
      return this.calls.length;
    }
    // Without an index, a piece with a known id continues its call, a new id starts one, no id continues the last.
    const byId = piece.id ? this.calls.findIndex((call) => call.id === piece.id) : -1;
    if (byId >= 0) return byId;
    return piece.id || this.calls.length === 0 ? this.calls.length : this.calls.length - 1;
  }

  /** A delta whose content is a list of chunks (Mistral's thinking and text, contentChunks.ts). */
  private pushContentChunks(chunks: unknown[]): void {
    const { text, thinking } = readContentChunks(chunks);
    if (thinking) {
      this.chunkThinking += thinking;
      this.onDelta?.({ kind: 'reasoning', text: thinking });
    }
    if (text) {
      this.content += text;
      this.onDelta?.({ kind: 'content', text });
    }
  }

  result(): AccumulatedCompletion {
    const toolCalls = this.calls.map((call, slot): ToolCall => ({
      id: call.id || `call_${slot}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
      ...(call.extraContent ? { extra_content: call.extraContent } : {}),
    }));
    const reasoningDetails = this.reasoningDetails.result();
    return {
      ...this.head,
      choices: [
        {
          message: {
            role: 'assistant',
            content: this.chunkThinking ? contentChunksOf(this.chunkThinking, this.content) : this.content || null,
            ...(this.reasoningField ? { [this.reasoningField]: this.reasoning } : {}),
            ...(reasoningDetails.length ? { reasoning_details: reasoningDetails } : {}),
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: this.finishReason,
          logprobs: this.logprobs.content.length ? this.logprobs : null,
          ...(this.tokenIds.length ? { token_ids: this.tokenIds } : {}),
        },
      ],
    };
  }
}

/** The fields of a reasoning block whose text a stream sends in pieces. */
const PIECED_FIELDS = new Set(['text', 'summary', 'data']);

/**
 * OpenRouter's reasoning blocks out of a stream's `delta.reasoning_details` pieces: a piece with the `index` of a block
 * already begun continues it, its `text`, `summary` and `data` appended and its other fields (`signature`, `id`, …)
 * set where it has them (a signature comes on a later piece than the text); a piece with a new index, or none, begins a
 * block. "The complete reasoning sequence is built by concatenating all chunks in order"
 * (openrouter.ai/docs/guides/best-practices/reasoning-tokens).
 */
class ReasoningDetailsAccumulator {
  private readonly blocks: ReasoningDetail[] = [];
  private readonly blockOfIndex = new Map<number, ReasoningDetail>();

  push(pieces: readonly unknown[]): void {
    for (const piece of pieces) if (isRecord(piece)) this.pushPiece(piece);
  }

  result(): ReasoningDetail[] {
    return this.blocks;
  }

  private pushPiece(piece: ReasoningDetail): void {
    const block = typeof piece.index === 'number' ? this.blockOfIndex.get(piece.index) : undefined;
    if (!block) {
      this.blocks.push({ ...piece });
      if (typeof piece.index === 'number') this.blockOfIndex.set(piece.index, this.blocks.at(-1)!);
      return;
    }
    for (const [field, value] of Object.entries(piece)) {
      if (PIECED_FIELDS.has(field) && typeof value === 'string') block[field] = `${stringOr(block[field])}${value}`;
      else if (value !== null && value !== undefined && value !== '') block[field] = value;
    }
  }
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
