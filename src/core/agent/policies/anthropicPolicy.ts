/**
 * Anthropic Messages with tools, through the official `@anthropic-ai/sdk`. The conversation stays in
 * OpenAI format everywhere else; it is mapped to Anthropic's content blocks on the way out and back.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  Tool as AnthropicTool,
} from '@anthropic-ai/sdk/resources/messages';
import type { ToolDefinition } from '../tools/tool';
import {
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
} from './policy';
import { classifyFailure, withRetries, type RetryOptions } from './retry';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicPolicyOptions {
  model: string;
  /** Server root without `/v1` (default: Anthropic's API). */
  baseURL?: string;
  /** Default: ANTHROPIC_API_KEY from `env`. */
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  /** Anthropic requires a limit on every request (default 8192). */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** Per attempt (default 10 minutes). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** US dollars per million tokens, to compute `cost`. */
  pricing?: { inputPerMillion: number; outputPerMillion: number };
}

const ANTHROPIC_SDK_ERRORS = {
  isConnectionFailure: (error: unknown) => error instanceof Anthropic.APIConnectionError,
  isAbort: (error: unknown) => error instanceof Anthropic.APIUserAbortError,
};

export class AnthropicPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly client: Anthropic;
  private readonly parameters: { max_tokens: number; temperature?: number; top_p?: number };

  constructor(private readonly options: AnthropicPolicyOptions) {
    const baseURL = options.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? (options.env ?? process.env).ANTHROPIC_API_KEY;
    if (!apiKey) throw new PolicyError('ANTHROPIC_API_KEY is not set: export it or pass the key to the policy');
    this.client = new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 600_000 });
    this.parameters = { max_tokens: options.maxTokens ?? 8192 };
    if (options.temperature !== undefined) this.parameters.temperature = options.temperature;
    if (options.topP !== undefined) this.parameters.top_p = options.topP;
    this.info = { backend: 'anthropic', model: options.model, baseURL, parameters: { ...this.parameters } };
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const body: MessageCreateParamsNonStreaming = {
      ...this.parameters,
      model: this.options.model,
      ...toAnthropicConversation(request.messages),
    };
    if (request.tools.length) body.tools = request.tools.map(toAnthropicTool);
    const { value: message, retries } = await withRetries(
      `${this.info.baseURL} model ${this.options.model}`,
      () => this.client.messages.create(body, { signal: request.signal }),
      {
        ...this.options.retry,
        signal: request.signal,
        classify: (error) => classifyFailure(error, ANTHROPIC_SDK_ERRORS),
        secrets: [this.client.apiKey ?? ''],
      },
    );
    const usage = {
      promptTokens:
        message.usage.input_tokens +
        (message.usage.cache_creation_input_tokens ?? 0) +
        (message.usage.cache_read_input_tokens ?? 0),
      completionTokens: message.usage.output_tokens,
    };
    const prices = this.options.pricing;
    return {
      message: fromAnthropicMessage(message),
      usage,
      ...(prices
        ? {
            cost:
              (usage.promptTokens * prices.inputPerMillion + usage.completionTokens * prices.outputPerMillion) / 1e6,
          }
        : {}),
      ...(message.stop_reason ? { finishReason: message.stop_reason } : {}),
      retries,
      modelMs: performance.now() - started,
    };
  }
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
 * Anthropic wants user and assistant to alternate.
 */
export function toAnthropicConversation(messages: ChatMessage[]): { system?: string; messages: MessageParam[] } {
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const turns: MessageParam[] = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = turns[turns.length - 1];
    if (last?.role === role) (last.content as ContentBlockParam[]).push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of messages) {
    if (message.role === 'user') append('user', [{ type: 'text', text: message.content }]);
    else if (message.role === 'tool')
      append('user', [{ type: 'tool_result', tool_use_id: toolUseId(message.tool_call_id), content: message.content }]);
    else if (message.role === 'assistant') append('assistant', assistantBlocks(message));
  }
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages: turns };
}

function assistantBlocks(message: AssistantMessage): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  if (message.content) blocks.push({ type: 'text', text: message.content });
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: toolUseId(call.id),
      name: call.function.name,
      input: argumentsObject(call.function.arguments),
    });
  }
  // Anthropic refuses an empty assistant turn; a model that said nothing is recorded as saying so.
  return blocks.length ? blocks : [{ type: 'text', text: '(no response)' }];
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
  return { role: 'assistant', content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
}
