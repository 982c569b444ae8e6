/**
 * Token counts without the model's tokenizer: characters divided by characters-per-token, a ratio that starts
 * cautious (3, which overcounts English and code) and is then set from what the server reports, so that on
 * any server the estimate tracks the server's own count.
 */
import type { AssistantMessage, ChatMessage } from '../policies/policy';
import type { ToolDefinition } from '../tools/tool';

/** Characters the chat template adds around each message (role markers, separators). */
const MESSAGE_OVERHEAD_CHARS = 16;
const INITIAL_CHARS_PER_TOKEN = 3;

export class TokenMeter {
  private charsPerToken = INITIAL_CHARS_PER_TOKEN;
  private readonly sizes = new WeakMap<object, number>();

  /** Characters a message puts in the prompt (memoised: messages are never changed once made). */
  chars(message: ChatMessage): number {
    let size = this.sizes.get(message);
    if (size === undefined) {
      size = MESSAGE_OVERHEAD_CHARS + (message.content?.length ?? 0);
      if (message.role === 'assistant') {
        for (const call of message.tool_calls ?? [])
          size += call.function.name.length + call.function.arguments.length + 16;
        size += reasoningChars(message);
      }
      this.sizes.set(message, size);
    }
    return size;
  }

  toolChars(tools: readonly ToolDefinition[]): number {
    let size = this.sizes.get(tools);
    if (size === undefined) this.sizes.set(tools, (size = JSON.stringify(tools).length));
    return size;
  }

  tokensOfChars(chars: number): number {
    return Math.ceil(chars / this.charsPerToken);
  }

  tokens(messages: readonly ChatMessage[]): number {
    let chars = 0;
    for (const message of messages) chars += this.chars(message);
    return this.tokensOfChars(chars);
  }

  /** Learns the ratio from a request of `chars` characters the server counted as `promptTokens`. */
  calibrate(chars: number, promptTokens: number): void {
    if (promptTokens <= 0 || chars <= 0) return;
    const observed = Math.min(8, Math.max(1.5, chars / promptTokens));
    this.charsPerToken = (this.charsPerToken + observed) / 2;
  }

  /** After an overflow: the server counted more than we thought, so assume more tokens per character. */
  correct(chars: number, promptTokens: number): void {
    if (promptTokens > 0 && chars > 0) this.charsPerToken = Math.min(this.charsPerToken, chars / promptTokens);
  }

  get ratio(): number {
    return this.charsPerToken;
  }
}

/**
 * The reasoning an assistant message goes back with (a server's reasoning field, Anthropic's thinking blocks,
 * OpenRouter's reasoning blocks and the Responses API's reasoning items as their JSON), which the server puts in the
 * prompt. Where a server drops earlier reasoning (Qwen3's template keeps only what follows the last user message)
 * this counts too much, the safe side for a window.
 */
function reasoningChars({ extra }: AssistantMessage): number {
  let size = extra?.reasoning_sent_back?.text.length ?? 0;
  if (extra?.reasoning_details) size += JSON.stringify(extra.reasoning_details).length;
  if (extra?.reasoning_items) size += JSON.stringify(extra.reasoning_items).length;
  for (const block of extra?.thinking_blocks ?? [])
    size += block.type === 'thinking' ? block.thinking.length : block.data.length;
  return size;
}
