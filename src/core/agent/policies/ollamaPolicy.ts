/**
 * Ollama's own chat API (POST /api/chat), for what its OpenAI-compatible API cannot do: set the context size
 * (`options.num_ctx`) and refuse a prompt that does not fit (`truncate: false`) instead of silently dropping
 * its oldest messages. Streams replies as NDJSON; keeps the model's `thinking` text and sends it back on its
 * message, where the model's template renders it.
 */
import { DEFAULT_STREAM, ModelSettingsError, refuseKnobsOfOtherAPIs, type ModelSettings } from './modelSettings';
import { costOf, modelPrices, type PriceSource } from './modelTable';
import {
  estimatedTokens,
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  type TokenLogprob,
  type TokenUsage,
  type ToolCall,
} from './policy';
import { classifyFailure, FETCH_ERRORS, StreamCutShortError, withRetries, type RetryOptions } from './retry';
import { ollamaWindow } from './serverProbe';
import { withInlineReasoningApart, withStreamedReasoningApart } from './inlineReasoning';
import { messagesAsSent, refusedFromTheStart } from './requestAsSent';

export const OLLAMA_DEFAULT_BASE_URL = 'http://localhost:11434';

export interface OllamaPolicyOptions {
  model: string;
  /** Server root (default OLLAMA_HOST from `env`, else http://localhost:11434). */
  baseURL?: string;
  env?: NodeJS.ProcessEnv;
  settings?: ModelSettings;
  /** Per attempt (default 10 minutes). */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** An HTTP refusal from a server spoken to with fetch, shaped like the SDKs' errors for classifyFailure. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly error: unknown,
  ) {
    const said = (error as { error?: unknown })?.error;
    super(`${status} ${typeof said === 'string' ? said : JSON.stringify(error)}`);
    this.name = 'HttpError';
  }
}

interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> | string };
}

interface OllamaChatResponse {
  model?: string;
  message?: { role: string; content?: string; thinking?: string; tool_calls?: OllamaToolCall[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  /** Per generated token, top level beside `message` (Ollama 0.12.11 on, when asked for). */
  logprobs?: TokenLogprob[];
  error?: string;
}

/** Ollama's `think`: off for `none`, a level for low, medium and high (gpt-oss); it has no other levels. */
function thinkParameter(effort: ModelSettings['reasoningEffort']): { think?: boolean | string } {
  if (effort === undefined) return {};
  if (effort === 'none') return { think: false };
  if (effort === 'low' || effort === 'medium' || effort === 'high') return { think: effort };
  throw new ModelSettingsError(`--reasoning-effort ${effort}: Ollama's think takes none, low, medium or high`);
}

function hostFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.OLLAMA_HOST;
  if (!host) return undefined;
  return /^https?:\/\//.test(host) ? host : `http://${host}`;
}

export class OllamaPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly baseURL: string;
  private readonly options: Record<string, unknown>;
  /** Request fields beside `options`. */
  private readonly topLevel: Record<string, unknown>;
  private readonly prices?: PriceSource;
  private readonly streaming: boolean;

  constructor(private readonly config: OllamaPolicyOptions) {
    const settings = config.settings ?? {};
    refuseKnobsOfOtherAPIs(settings, ['thinkingBudget']);
    if (settings.tokenIds)
      throw new ModelSettingsError("--token-ids: Ollama's API returns no token ids (vLLM and `rollout serve` do)");
    if (settings.reasoningSummary !== undefined)
      throw new ModelSettingsError("--reasoning-summary: Ollama's API returns no reasoning summaries");
    this.baseURL = (config.baseURL ?? hostFromEnv(config.env ?? process.env) ?? OLLAMA_DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    );
    this.options = Object.fromEntries(
      Object.entries({
        temperature: settings.temperature,
        top_p: settings.topP,
        seed: settings.seed,
        stop: settings.stop,
        num_predict: settings.maxTokens,
        num_ctx: settings.numCtx,
      }).filter(([, value]) => value !== undefined),
    );
    // Without `truncate: false` Ollama drops the oldest messages of a prompt that does not fit, and says nothing.
    this.topLevel = {
      truncate: false,
      ...(settings.logprobs ? { logprobs: true } : {}),
      ...thinkParameter(settings.reasoningEffort),
    };
    this.streaming = settings.stream ?? DEFAULT_STREAM;
    this.prices = modelPrices(config.model, settings);
    this.info = {
      backend: 'ollama',
      model: config.model,
      baseURL: this.baseURL,
      parameters: { options: { ...this.options }, ...this.topLevel },
      settings,
      server: 'ollama',
      contextWindow: settings.contextWindow
        ? { tokens: settings.contextWindow, source: 'given (--context-window)' }
        : settings.numCtx
          ? { tokens: settings.numCtx, source: 'Ollama options.num_ctx (--num-ctx)' }
          : { tokens: 4096, source: "Ollama's default context (not asked yet)" },
      ...(this.prices ? { prices: this.prices } : {}),
    };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    if (this.config.settings?.contextWindow !== undefined) return;
    const window = await ollamaWindow(this.baseURL, this.config.model, this.config.settings?.numCtx, { signal });
    if (window) this.info.contextWindow = window;
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const body = {
      model: this.config.model,
      messages: toOllamaMessages(messagesAsSent(request.messages, refusedFromTheStart('ollama'))),
      ...(request.tools.length ? { tools: request.tools } : {}),
      stream: this.streaming,
      options: this.options,
      ...this.topLevel,
    };
    const { value: reply, retries } = await withRetries(
      `${this.baseURL} model ${this.config.model}`,
      () => this.call(body, request),
      {
        ...this.config.retry,
        signal: request.signal,
        classify: (error) => classifyFailure(error, FETCH_ERRORS),
        onRetry: () => request.onDelta?.({ kind: 'restart' }),
      },
    );
    const message = fromOllamaMessage(reply.message);
    const usage = readUsage(reply, () => ({ request: request.messages, reply: message }));
    return {
      message,
      usage,
      ...(this.prices ? { cost: costOf(usage, this.prices) } : {}),
      ...(reply.logprobs?.length
        ? { logprobs: reply.logprobs.map(({ token, logprob }): TokenLogprob => ({ token, logprob })) }
        : {}),
      ...(reply.done_reason ? { finishReason: reply.done_reason } : {}),
      sampling: this.info.parameters,
      ...(reply.model ? { model: reply.model } : {}),
      ...(message.extra?.reasoning_sent_back?.text ? { reasoning: message.extra.reasoning_sent_back.text } : {}),
      retries,
      modelMs: performance.now() - started,
    };
  }

  private async call(body: Record<string, unknown>, request: PolicyRequest): Promise<OllamaChatResponse> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs ?? 600_000);
    const response = await fetch(`${this.baseURL}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
    });
    if (!response.ok) {
      const text = await response.text();
      throw new HttpError(response.status, response.headers, parseJson(text) ?? text);
    }
    if (!this.streaming) return (await response.json()) as OllamaChatResponse;
    return readNdjson(response, request);
  }
}

/**
 * Ollama's counts. Ollama until mid-2024 left `prompt_eval_count` out when the whole prompt came from its
 * cache (ollama/ollama#2068, fixed by #5371): a count left out is estimated and the usage says so, since a 0
 * would tell the context meter that the prompt is empty.
 */
function readUsage(reply: OllamaChatResponse, estimateFrom: () => { request: unknown; reply: unknown }): TokenUsage {
  const { prompt_eval_count: promptTokens, eval_count: completionTokens } = reply;
  if (typeof promptTokens === 'number' && typeof completionTokens === 'number')
    return { promptTokens, completionTokens };
  const estimate = estimateFrom();
  return {
    promptTokens: promptTokens ?? estimatedTokens(estimate.request),
    completionTokens: completionTokens ?? estimatedTokens(estimate.reply),
    estimated: true,
  };
}

/**
 * Ollama streams one JSON object a line; the last says `done` and carries the counts. A stream that ends
 * without it was cut off on the way: retried, never taken for the whole answer.
 */
async function readNdjson(response: Response, request: PolicyRequest): Promise<OllamaChatResponse> {
  const merged: OllamaChatResponse & { message: NonNullable<OllamaChatResponse['message']> } = {
    message: { role: 'assistant', content: '' },
  };
  const calls: OllamaToolCall[] = [];
  const logprobs: TokenLogprob[] = [];
  let finished = false;
  const onDelta = request.onDelta && withStreamedReasoningApart(request.onDelta);
  const decoder = new TextDecoder();
  let buffered = '';
  const take = (line: string) => {
    if (!line.trim()) return;
    const part = JSON.parse(line) as OllamaChatResponse;
    // An error mid-stream comes as a line `{"error": …}` after the 200 (docs.ollama.com/api/errors): the server
    // failed while generating, so it is retried as the 500 it would have answered before streaming.
    if (part.error) throw new PolicyError(`Ollama: ${part.error}`, 500);
    const content = part.message?.content ?? '';
    const thinking = part.message?.thinking;
    if (content) onDelta?.({ kind: 'content', text: content });
    if (thinking) onDelta?.({ kind: 'reasoning', text: thinking });
    merged.message.content += content;
    // Only a reply that had the field gets it back.
    if (typeof thinking === 'string') merged.message.thinking = (merged.message.thinking ?? '') + thinking;
    logprobs.push(...(part.logprobs ?? []));
    for (const call of part.message?.tool_calls ?? []) {
      onDelta?.({
        kind: 'tool_call',
        index: calls.length,
        name: call.function.name,
        arguments: JSON.stringify(call.function.arguments),
      });
      calls.push(call);
    }
    if (part.done) {
      finished = true;
      Object.assign(merged, { ...part, message: merged.message });
    }
  };
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(take);
  }
  take(buffered);
  if (!finished) throw new StreamCutShortError('the stream ended before the answer did (no line with done: true)');
  if (calls.length) merged.message.tool_calls = calls;
  return { ...merged, logprobs };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Messages as Ollama takes them: tool-call arguments as objects, an assistant message with the `thinking` Ollama
 * returned with it, and each tool result naming its tool (`tool_name`) as well as the call it answers.
 */
export function toOllamaMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  const toolNames = new Map<string, string>();
  return messages.map((message) => {
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
      return {
        role: 'assistant',
        content: message.content ?? '',
        ...(message.tool_calls?.length
          ? {
              tool_calls: message.tool_calls.map((call) => ({
                id: call.id,
                function: { name: call.function.name, arguments: argumentsObject(call.function.arguments) },
              })),
            }
          : {}),
        ...thinkingToSendBack(message),
      };
    }
    if (message.role === 'tool')
      return {
        role: 'tool',
        content: message.content,
        tool_call_id: message.tool_call_id,
        ...(toolNames.has(message.tool_call_id) ? { tool_name: toolNames.get(message.tool_call_id) } : {}),
      };
    return { role: message.role, content: message.content };
  });
}

/** The `thinking` an assistant message goes back with: what Ollama returned with it; nothing when it returned none. */
function thinkingToSendBack(message: AssistantMessage): { thinking?: string } {
  const kept = message.extra?.reasoning_sent_back;
  return kept?.field === 'thinking' ? { thinking: kept.text } : {};
}

function argumentsObject(raw: string): Record<string, unknown> {
  const value = parseJson(raw || '{}');
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { unparsed_arguments: raw };
}

function fromOllamaMessage(message: OllamaChatResponse['message']): AssistantMessage {
  const calls: ToolCall[] = (message?.tool_calls ?? []).map((call, index) => ({
    id: call.id || `call_${index}`,
    type: 'function',
    function: {
      name: call.function.name,
      arguments:
        typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments),
    },
  }));
  const content = message?.content ?? '';
  const thinking = message?.thinking;
  return withInlineReasoningApart({
    role: 'assistant',
    content: calls.length ? content || null : content,
    ...(calls.length ? { tool_calls: calls } : {}),
    ...(typeof thinking === 'string' ? { extra: { reasoning_sent_back: { field: 'thinking', text: thinking } } } : {}),
  });
}
