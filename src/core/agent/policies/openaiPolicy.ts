/**
 * OpenAI-compatible chat completions with tools, through the official `openai` SDK: OpenAI itself, vLLM,
 * Ollama, LM Studio, llama.cpp server and the trainer's own server. Keeps logprobs and token ids when the
 * server returns them.
 */
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import {
  PolicyError,
  type AssistantMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  type TokenLogprob,
  type ToolCall,
} from './policy';
import { classifyFailure, withRetries, type RetryOptions } from './retry';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIPolicyOptions {
  model: string;
  /** Server root including `/v1`, e.g. `http://localhost:8000/v1` for vLLM (default: OpenAI). */
  baseURL?: string;
  /** Default: OPENAI_API_KEY from `env`. Local servers that want no key get a placeholder. */
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
  /** Ask for per-token log-probabilities (`logprobs: true`). */
  logprobs?: boolean;
  /** Alternatives per token when `logprobs` is on. */
  topLogprobs?: number;
  /** Ask vLLM-style servers for prompt and completion token ids (`return_token_ids: true`). */
  returnTokenIds?: boolean;
  /** Per attempt (default 10 minutes: long generations on slow local servers). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** US dollars per million tokens, to compute `cost` when the server does not report it. */
  pricing?: { inputPerMillion: number; outputPerMillion: number };
  /** More request fields for a particular server (sent as they are, recorded in the run metadata). */
  extraBody?: Record<string, unknown>;
}

/** Fields some OpenAI-compatible servers add to a completion. */
interface ServerExtras {
  /** vLLM with `return_token_ids`. */
  prompt_token_ids?: number[];
  /** OpenRouter and others report the price of the call. */
  usage?: { cost?: number };
}

const OPENAI_SDK_ERRORS = {
  isConnectionFailure: (error: unknown) => error instanceof OpenAI.APIConnectionError,
  isAbort: (error: unknown) => error instanceof OpenAI.APIUserAbortError,
};

export class OpenAIPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly client: OpenAI;
  private readonly parameters: Partial<ChatCompletionCreateParamsNonStreaming> & Record<string, unknown>;

  constructor(private readonly options: OpenAIPolicyOptions) {
    const baseURL = options.baseURL ?? OPENAI_DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? (options.env ?? process.env).OPENAI_API_KEY;
    if (!apiKey && baseURL === OPENAI_DEFAULT_BASE_URL) {
      throw new PolicyError(
        'OPENAI_API_KEY is not set: export it, or give an OpenAI-compatible server with openai:MODEL@BASE_URL',
      );
    }
    this.client = new OpenAI({
      apiKey: apiKey || 'no-key',
      baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
    });
    // OpenAI's reasoning models refuse `max_tokens`; most other servers only know `max_tokens`.
    const maxTokensField = baseURL === OPENAI_DEFAULT_BASE_URL ? 'max_completion_tokens' : 'max_tokens';
    this.parameters = dropUndefined({
      temperature: options.temperature,
      top_p: options.topP,
      seed: options.seed,
      [maxTokensField]: options.maxTokens,
      logprobs: options.logprobs,
      top_logprobs: options.logprobs ? options.topLogprobs : undefined,
      return_token_ids: options.returnTokenIds,
      ...options.extraBody,
    });
    this.info = { backend: 'openai', model: options.model, baseURL, parameters: { ...this.parameters } };
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const body = {
      ...this.parameters,
      model: this.options.model,
      messages: request.messages,
      ...(request.tools.length ? { tools: request.tools } : {}),
    } as ChatCompletionCreateParamsNonStreaming;
    const { value: completion, retries } = await withRetries(
      `${this.info.baseURL} model ${this.options.model}`,
      () => this.client.chat.completions.create(body, { signal: request.signal }),
      {
        ...this.options.retry,
        signal: request.signal,
        classify: (error) => classifyFailure(error, OPENAI_SDK_ERRORS),
        secrets: [this.client.apiKey ?? ''],
      },
    );
    return { ...this.toResponse(completion), retries, modelMs: performance.now() - started };
  }

  private toResponse(completion: ChatCompletion & ServerExtras): Omit<PolicyResponse, 'retries' | 'modelMs'> {
    const choice = completion.choices?.[0] as (ChatCompletion.Choice & { token_ids?: number[] }) | undefined;
    if (!choice?.message)
      throw new PolicyError(
        `${this.info.baseURL} returned a completion without choices: ${JSON.stringify(completion).slice(0, 500)}`,
      );
    const usage = {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    };
    const logprobs = choice.logprobs?.content?.map((entry): TokenLogprob => ({
      token: entry.token,
      logprob: entry.logprob,
      ...(entry.top_logprobs?.length
        ? { topLogprobs: entry.top_logprobs.map(({ token, logprob }) => ({ token, logprob })) }
        : {}),
    }));
    return dropUndefined({
      message: toAssistantMessage(choice.message),
      usage,
      cost: completion.usage?.cost ?? this.priced(usage),
      logprobs,
      tokenIds: choice.token_ids
        ? dropUndefined({ prompt: completion.prompt_token_ids, completion: choice.token_ids })
        : undefined,
      finishReason: choice.finish_reason ?? undefined,
    });
  }

  private priced(usage: PolicyResponse['usage']): number | undefined {
    const prices = this.options.pricing;
    if (!prices) return undefined;
    return (usage.promptTokens * prices.inputPerMillion + usage.completionTokens * prices.outputPerMillion) / 1e6;
  }
}

/**
 * The server's message as our AssistantMessage. Some servers send tool-call arguments as an object
 * rather than a JSON string, or leave out the call id; both are normalised so the toolbox sees a string.
 */
export function toAssistantMessage(message: ChatCompletion.Choice['message']): AssistantMessage {
  const toolCalls: ToolCall[] = (message.tool_calls ?? []).flatMap((call, index) => {
    if (call.type !== 'function') return [];
    const args = call.function.arguments as unknown;
    return [
      {
        id: call.id || `call_${index}`,
        type: 'function',
        function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
      },
    ];
  });
  return {
    role: 'assistant',
    content: message.content ?? null,
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
  };
}

function dropUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
