/**
 * Builds one chat completion out of an OpenAI-compatible SSE stream, passing each piece on as it arrives.
 * Beyond OpenAI's fields it keeps what other servers stream: `reasoning_content` / `reasoning` (vLLM, DeepSeek,
 * llama.cpp, Ollama), vLLM's `token_ids` per chunk and `prompt_token_ids` on the first, and tool-call pieces
 * that come without an `index` (some servers send each call whole).
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ReplyDelta } from './policy';

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
      content: string | null;
      reasoning_content?: string;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
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
type DeltaExtras = { reasoning_content?: string | null; reasoning?: string | null };
type ToolCallPiece = {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string | Record<string, unknown> };
};

export class CompletionAccumulator {
  private content = '';
  private reasoning = '';
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
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
    if (delta.content) {
      this.content += delta.content;
      this.onDelta?.({ kind: 'content', text: delta.content });
    }
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) {
      this.reasoning += reasoning;
      this.onDelta?.({ kind: 'reasoning', text: reasoning });
    }
    for (const piece of (delta.tool_calls ?? []) as ToolCallPiece[]) this.pushToolCall(piece);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    if (choice.logprobs?.content) this.logprobs.content.push(...choice.logprobs.content);
    if (choice.token_ids) this.tokenIds.push(...choice.token_ids);
  }

  private pushToolCall(piece: ToolCallPiece): void {
    const known = [...this.calls.entries()];
    const byId = piece.id ? known.find(([, call]) => call.id === piece.id)?.[0] : undefined;
    // Without an index, a piece with a new id starts a call; one without an id continues the last.
    const index =
      typeof piece.index === 'number'
        ? piece.index
        : (byId ?? (piece.id || known.length === 0 ? known.length : known[known.length - 1][0]));
    const call = this.calls.get(index) ?? { id: '', name: '', arguments: '' };
    if (piece.id) call.id = piece.id;
    if (piece.function?.name) call.name += piece.function.name;
    const args = piece.function?.arguments;
    const text = typeof args === 'string' ? args : args === undefined ? '' : JSON.stringify(args);
    call.arguments += text;
    this.calls.set(index, call);
    this.onDelta?.({
      kind: 'tool_call',
      index,
      ...(piece.id ? { id: piece.id } : {}),
      ...(piece.function?.name ? { name: piece.function.name } : {}),
      ...(text ? { arguments: text } : {}),
    });
  }

  result(): AccumulatedCompletion {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id || `call_${index}`,
        type: 'function' as const,
        function: { name: call.name, arguments: call.arguments },
      }));
    return {
      ...this.head,
      choices: [
        {
          message: {
            role: 'assistant',
            content: this.content || null,
            ...(this.reasoning ? { reasoning_content: this.reasoning } : {}),
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
