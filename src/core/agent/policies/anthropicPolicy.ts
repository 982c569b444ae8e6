/**
 * Anthropic Messages with tools, through the official `@anthropic-ai/sdk`. The conversation stays in OpenAI
 * format everywhere else; it is mapped to Anthropic's content blocks on the way out and back. Streams replies
 * (SSE) by default; marks the system prompt and the two latest user turns for prompt caching and prices cache
 * reads and writes; with extended thinking on, keeps each thinking block (signature included) on its message
 * and sends it back as it came, as the API requires when tools are used.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Tool as AnthropicTool,
} from '@anthropic-ai/sdk/resources/messages';
import type { ToolDefinition } from '../tools/tool';
import {
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  DEFAULT_STREAM,
  MODEL_SETTING_FIELDS,
  ModelSettingsError,
  refuseKnobsOfOtherAPIs,
  type ModelSettings,
} from './modelSettings';
import { costOf, knownContextWindow, modelPrices, type PriceSource } from './modelTable';
import {
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  thinkingText,
  type ThinkingBlock,
  type TokenUsage,
} from './policy';
import { classifyFailure, withinDeadline, withRetries, type RetryOptions } from './retry';
import { messagesAsSent, refusedFromTheStart } from './requestAsSent';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicPolicyOptions {
  model: string;
  /** Server root without `/v1` (default: Anthropic's API). */
  baseURL?: string;
  /** Default: ANTHROPIC_API_KEY from `env`. */
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  settings?: ModelSettings;
  /** Per attempt (default 10 minutes). */
  timeoutMs?: number;
  retry?: RetryOptions;
}

const ANTHROPIC_SDK_ERRORS = {
  isConnectionFailure: (error: unknown) => error instanceof Anthropic.APIConnectionError,
  isAbort: (error: unknown) => error instanceof Anthropic.APIUserAbortError,
};

const EPHEMERAL = { type: 'ephemeral' } as const;

/** Per attempt, streamed or not. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

/** Knobs the Messages API does not have, or forbids together: refused rather than silently dropped. */
function refuseForeignSettings(settings: ModelSettings): void {
  if (settings.seed !== undefined)
    throw new ModelSettingsError("--seed: Anthropic's Messages API has no sampling seed");
  if (settings.reasoningEffort !== undefined || settings.reasoningSummary !== undefined)
    throw new ModelSettingsError(
      "--reasoning-effort and --reasoning-summary are OpenAI's: Anthropic sets thinking with --thinking-budget",
    );
  refuseKnobsOfOtherAPIs(settings, ['numCtx']);
  for (const knob of ['logprobs', 'tokenIds'] as const)
    if (settings[knob])
      throw new ModelSettingsError(
        `--${MODEL_SETTING_FIELDS[knob].flag}: Anthropic's Messages API returns no log-probabilities or token ids`,
      );
  // Anthropic's migration guide: Claude Sonnet 4.5 and later answer both with 400 "temperature and top_p cannot
  // both be specified for this model"; the API reference already said to set one or the other.
  if (settings.temperature !== undefined && settings.topP !== undefined)
    throw new ModelSettingsError(
      '--temperature and --top-p cannot be set together for Anthropic: Claude Sonnet 4.5 and later refuse both; set one',
    );
  if (settings.thinkingBudget !== undefined && settings.temperature !== undefined && settings.temperature !== 1)
    throw new ModelSettingsError(
      '--temperature cannot be set with --thinking-budget: Anthropic requires 1 with thinking',
    );
  if (
    settings.thinkingBudget !== undefined &&
    settings.thinkingBudget >= (settings.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS)
  )
    throw new ModelSettingsError(
      `--thinking-budget (${settings.thinkingBudget}) must be below the reply limit (--max-tokens, default ${DEFAULT_ANTHROPIC_MAX_TOKENS})`,
    );
}

export class AnthropicPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly client: Anthropic;
  private readonly parameters: Omit<MessageCreateParamsNonStreaming, 'model' | 'messages'>;
  private readonly prices?: PriceSource;
  private readonly streaming: boolean;

  constructor(private readonly options: AnthropicPolicyOptions) {
    const baseURL = options.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? (options.env ?? process.env).ANTHROPIC_API_KEY;
    if (!apiKey) throw new PolicyError('ANTHROPIC_API_KEY is not set: export it or pass the key to the policy');
    const settings = options.settings ?? {};
    refuseForeignSettings(settings);
    this.client = new Anthropic({
      apiKey,
      baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    });
    this.parameters = {
      max_tokens: settings.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
      ...(settings.stop ? { stop_sequences: settings.stop } : {}),
      ...(settings.thinkingBudget !== undefined
        ? { thinking: { type: 'enabled', budget_tokens: settings.thinkingBudget } }
        : {}),
    };
    this.streaming = settings.stream ?? DEFAULT_STREAM;
    this.prices = modelPrices(options.model, settings);
    this.info = {
      backend: 'anthropic',
      model: options.model,
      baseURL,
      parameters: { ...this.parameters },
      settings,
      contextWindow: knownContextWindow(options.model, settings),
      ...(this.prices ? { prices: this.prices } : {}),
    };
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const body: MessageCreateParamsNonStreaming = {
      ...this.parameters,
      model: this.options.model,
      ...toAnthropicConversation(request.messages, { cache: true }),
    };
    if (request.tools.length) body.tools = request.tools.map(toAnthropicTool);
    const { value: message, retries } = await withRetries(
      `${this.info.baseURL} model ${this.options.model}`,
      () =>
        this.streaming ? this.stream(body, request) : this.client.messages.create(body, { signal: request.signal }),
      {
        ...this.options.retry,
        signal: request.signal,
        classify: (error) => classifyFailure(error, ANTHROPIC_SDK_ERRORS),
        secrets: [this.client.apiKey ?? ''],
        onRetry: () => request.onDelta?.({ kind: 'restart' }),
      },
    );
    const usage = readUsage(message.usage);
    const assistant = fromAnthropicMessage(message);
    const reasoning = thinkingText(assistant.extra?.thinking_blocks ?? []);
    return {
      message: assistant,
      usage,
      ...(this.prices ? { cost: costOf(usage, this.prices) } : {}),
      ...(message.stop_reason ? { finishReason: message.stop_reason } : {}),
      sampling: this.info.parameters,
      ...(message.model ? { model: message.model } : {}),
      ...(reasoning ? { reasoning } : {}),
      retries,
      modelMs: performance.now() - started,
    };
  }

  /**
   * One streamed call: pieces go to `onDelta` as they arrive; the SDK assembles the final message. The attempt
   * is bounded as a whole by its timeout (withinDeadline). A stream that ends before its `message_stop` was cut off
   * (a dropped connection, a proxy's limit): it is a connection failure, retried, where the SDK's own error
   * ("stream ended without producing a Message") would end the run.
   */
  private async stream(body: MessageCreateParamsNonStreaming, request: PolicyRequest): Promise<Message> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const timedOut = (words: { message: string }) => new Anthropic.APIConnectionTimeoutError(words);
    return withinDeadline(timeoutMs, request.signal, (signal) => this.streamed(body, request, signal), timedOut);
  }

  private async streamed(
    body: MessageCreateParamsNonStreaming,
    request: PolicyRequest,
    signal: AbortSignal,
  ): Promise<Message> {
    const stream = this.client.messages.stream(body, { signal });
    const toolBlocks = new Map<number, number>();
    let stopped = false;
    for await (const event of stream) {
      if (event.type === 'message_stop') stopped = true;
      else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
        toolBlocks.set(event.index, toolBlocks.size);
        const { id, name } = event.content_block;
        request.onDelta?.({ kind: 'tool_call', index: toolBlocks.size - 1, id, name });
      } else if (event.type === 'content_block_delta') {
        const delta = event.delta;
        if (delta.type === 'text_delta') request.onDelta?.({ kind: 'content', text: delta.text });
        else if (delta.type === 'thinking_delta') request.onDelta?.({ kind: 'reasoning', text: delta.thinking });
        else if (delta.type === 'input_json_delta')
          request.onDelta?.({
            kind: 'tool_call',
            index: toolBlocks.get(event.index) ?? 0,
            arguments: delta.partial_json,
          });
      }
    }
    if (!stopped)
      throw new Anthropic.APIConnectionError({ message: 'the stream ended before the answer did (no message_stop)' });
    return await stream.finalMessage();
  }
}

/** Anthropic counts cache reads and writes apart from `input_tokens`; here every input token is in promptTokens. */
function readUsage(usage: Message['usage']): TokenUsage {
  const read = usage.cache_read_input_tokens ?? 0;
  const written = usage.cache_creation_input_tokens ?? 0;
  return {
    promptTokens: usage.input_tokens + read + written,
    completionTokens: usage.output_tokens,
    ...(read ? { cachedPromptTokens: read } : {}),
    ...(written ? { cacheWriteTokens: written } : {}),
  };
}

export function toAnthropicTool(tool: ToolDefinition): AnthropicTool {
  return {
    name: tool.function.name,
    description: tool.function.description,
    input_schema: tool.function.parameters as AnthropicTool['input_schema'],
  };
}

/**
 * OpenAI-format messages as Anthropic's `system` and `messages`: system messages join the system prompt,
 * tool results become `tool_result` blocks of a user turn, and consecutive turns of one role merge, since
 * Anthropic wants user and assistant to alternate. With `cache`, the system prompt and the last block of the
 * two latest user turns carry `cache_control`, so each request reads the prefix the one before it wrote.
 */
export function toAnthropicConversation(
  messages: ChatMessage[],
  options: { cache?: boolean } = {},
): { system?: TextBlockParam[]; messages: MessageParam[] } {
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const turns: MessageParam[] = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = turns[turns.length - 1];
    if (last?.role === role) (last.content as ContentBlockParam[]).push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of messagesAsSent(messages, refusedFromTheStart('anthropic'))) {
    if (message.role === 'user') append('user', [{ type: 'text', text: message.content || '(empty)' }]);
    else if (message.role === 'tool')
      append('user', [{ type: 'tool_result', tool_use_id: toolUseId(message.tool_call_id), content: message.content }]);
    else if (message.role === 'assistant') append('assistant', assistantBlocks(message));
  }
  const systemBlocks: TextBlockParam[] = system.length ? [{ type: 'text', text: system.join('\n\n') }] : [];
  if (options.cache) {
    if (systemBlocks.length) systemBlocks[0].cache_control = EPHEMERAL;
    const userTurns = turns.filter((turn) => turn.role === 'user').slice(-2);
    for (const turn of userTurns) {
      const blocks = turn.content as ContentBlockParam[];
      (blocks[blocks.length - 1] as { cache_control?: typeof EPHEMERAL }).cache_control = EPHEMERAL;
    }
  }
  return { ...(systemBlocks.length ? { system: systemBlocks } : {}), messages: turns };
}

function assistantBlocks(message: AssistantMessage): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [...(message.extra?.thinking_blocks ?? [])];
  if (message.content) blocks.push({ type: 'text', text: message.content });
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: toolUseId(call.id),
      name: call.function.name,
      input: argumentsObject(call.function.arguments),
    });
  }
  return blocks;
}

/** Anthropic wants `input` to be an object; a malformed call from another model is kept as its raw text. */
function argumentsObject(raw: string): Record<string, unknown> {
  try {
    const value = JSON.parse(raw || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // fall through: kept verbatim below
  }
  return { unparsed_arguments: raw };
}

/** Tool-use ids must match ^[a-zA-Z0-9_-]+$; ids from other servers may not. */
function toolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_') || 'tool_use';
}

export function fromAnthropicMessage(message: Pick<Message, 'content'>): AssistantMessage {
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const toolCalls = message.content.flatMap((block) =>
    block.type === 'tool_use'
      ? [
          {
            id: block.id,
            type: 'function' as const,
            function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
          },
        ]
      : [],
  );
  const thinking: ThinkingBlock[] = message.content.flatMap((block): ThinkingBlock[] =>
    block.type === 'thinking'
      ? [{ type: 'thinking', thinking: block.thinking, signature: block.signature }]
      : block.type === 'redacted_thinking'
        ? [{ type: 'redacted_thinking', data: block.data }]
        : [],
  );
  return {
    role: 'assistant',
    content: toolCalls.length ? text || null : text,
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    ...(thinking.length ? { extra: { thinking_blocks: thinking } } : {}),
  };
}
