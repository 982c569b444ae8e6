/**
 * OpenAI-compatible chat completions with tools, through the official `openai` SDK: OpenAI itself, vLLM,
 * Ollama's /v1, LM Studio, llama.cpp server and the trainer's own server. Streams replies (SSE) by default;
 * keeps reasoning text and OpenRouter's reasoning blocks (and sends them back on their message), a tool call's
 * vendor extension (Gemini's thought signature, sent back on its call), cached and reasoning token counts, the model
 * id and system fingerprint the server answered with, logprobs and token ids.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { isRecord } from '../../trajectory/import/shared';
import { withInlineReasoningApart, withStreamedReasoningApart } from './inlineReasoning';
import { changesMessages, messagesAsSent } from './requestAsSent';
import { DEFAULT_STREAM, ModelSettingsError, refuseKnobsOfOtherAPIs, type ModelSettings } from './modelSettings';
import { costOf, knownContextWindow, modelPrices, takesOnlyDefaultSampling, type PriceSource } from './modelTable';
import { contentApart, contentChunksOf } from './contentChunks';
import { CompletionAccumulator, reasoningFieldOf, type AccumulatedCompletion } from './openaiStream';
import {
  estimatedTokens,
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  type ReasoningDetail,
  type RecordedCalls,
  type TokenLogprob,
  type TokenUsage,
  type ToolCall,
} from './policy';
import { classifyFailure, withinDeadline, withRetries, type RetryOptions } from './retry';
import type { QuirkName } from './serverErrors';
import { probeIntoInfo } from './serverProbe';
import { Workarounds } from './workarounds';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIPolicyOptions {
  model: string;
  /** Server root including `/v1`, e.g. `http://localhost:8000/v1` for vLLM (default: OpenAI). */
  baseURL?: string;
  /** Default: OPENAI_API_KEY from `env`. Local servers that want no key get a placeholder. */
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  settings?: ModelSettings;
  /** Per attempt (default 10 minutes: long generations on slow local servers). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** More request fields for a particular server (sent as they are, recorded in the run metadata). */
  extraBody?: Record<string, unknown>;
}

export const OPENAI_SDK_ERRORS = {
  isConnectionFailure: (error: unknown) => error instanceof OpenAI.APIConnectionError,
  isAbort: (error: unknown) => error instanceof OpenAI.APIUserAbortError,
};

/**
 * A model call through the OpenAI SDK: `attempt` retried (its failures classified by the SDK's errors, the key kept
 * out of the final error, a restart told to the live view before each retry) and asked again around each quirk a
 * refusal shows that `workarounds` can work around. Its answer comes with the retries and, where any, the quirks the
 * attempt that answered was sent around.
 */
export async function sdkCall<T>(
  workarounds: Workarounds,
  info: PolicyInfo,
  attempt: () => Promise<T>,
  { retry, request, apiKey }: { retry?: RetryOptions; request: PolicyRequest; apiKey: string },
): Promise<{ value: T; retries: number; workarounds?: QuirkName[] }> {
  const restart = () => request.onDelta?.({ kind: 'restart' });
  const options = {
    ...retry,
    signal: request.signal,
    classify: (error: unknown) => classifyFailure(error, OPENAI_SDK_ERRORS),
    secrets: [apiKey],
    onRetry: restart,
  };
  const { value: answer, sentAround } = await workarounds.call(
    (sending) =>
      withRetries(
        `${info.baseURL} model ${info.model}`,
        async () => {
          sending();
          return attempt();
        },
        options,
      ),
    restart,
  );
  return { ...answer, ...(sentAround.length ? { workarounds: sentAround } : {}) };
}

/** Knobs of other APIs: set with an OpenAI-compatible policy, they would do nothing, so they are refused. */
function refuseForeignSettings(settings: ModelSettings, baseURL: string, model: string): void {
  const openAI = isOpenAIItself(baseURL) || isAzureOpenAI(baseURL);
  // `return_token_ids` is vLLM's: OpenAI's API refuses a request with a parameter it does not know.
  if (settings.tokenIds && openAI)
    throw new ModelSettingsError(
      "--token-ids: OpenAI's API returns no token ids (vLLM and `rollout serve` do); --logprobs records log-probabilities",
    );
  if (settings.logprobs && openAI && takesOnlyDefaultSampling(model))
    throw new ModelSettingsError(
      `--logprobs: ${model} is one of OpenAI's reasoning models, which return no log-probabilities (gpt-4.1 and gpt-4o do)`,
    );
  if (settings.numCtx !== undefined)
    throw new ModelSettingsError(
      "--num-ctx sets Ollama's context size, which its OpenAI-compatible API cannot take: use the policy ollama:MODEL[@URL]",
    );
  refuseKnobsOfOtherAPIs(settings, ['thinkingBudget']);
  if (settings.reasoningSummary !== undefined)
    throw new ModelSettingsError(
      '--reasoning-summary: Chat Completions returns no reasoning summaries; use the policy openai-responses:MODEL',
    );
}

/** A base URL's host and path as servers read them: the host in lower case, the path without a trailing slash. */
function hostAndPath(baseURL: string): { host: string; path: string } {
  const url = new URL(baseURL);
  return { host: url.hostname.toLowerCase(), path: url.pathname.replace(/\/+$/, '') };
}

/** OpenAI's own API, however its URL is written (`https://api.openai.com/v1/` too). */
export function isOpenAIItself(baseURL: string): boolean {
  const { host, path } = hostAndPath(baseURL);
  return host === 'api.openai.com' && path === '/v1';
}

/** Azure OpenAI's v1 API, `https://RESOURCE.openai.azure.com/openai/v1/`, which serves OpenAI's models as OpenAI does. */
function isAzureOpenAI(baseURL: string): boolean {
  const { host, path } = hostAndPath(baseURL);
  return host.endsWith('.openai.azure.com') && path === '/openai/v1';
}

/**
 * fetch as the client's, but an error body whose words the SDK would not read is handed on in OpenAI's shape with
 * those words in its `message`: the SDK reads only `{"error": {"message": …}}`, and its refusal would say "400
 * status code (no body)", or a gateway's "Provider returned error", instead of what refused the request, so neither an
 * overflow's sizes nor a known quirk could be read, nor the user told.
 */
export async function fetchWithReadableErrors(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (response.ok) return response;
  const error = readableError(await response.clone().text());
  if (!error) return response;
  const { status, statusText, headers } = response;
  return new Response(JSON.stringify({ error }), { status, statusText, headers });
}

/**
 * The error object of a body the SDK would not read as it is, in OpenAI's shape; undefined for any other body.
 * OpenRouter wraps a provider's refusal as `{"error": {"code": 400, "message": "Provider returned error",
 * "metadata": {"raw": "<the provider's body, as text>", "provider_name": "…"}}}` (openrouter.ai/docs/api/reference/
 * errors-and-debugging): its message gets the provider's own words.
 */
function readableError(text: string): Record<string, unknown> | undefined {
  const body = parsedJson(text);
  const error = errorObjectOf(body);
  if (!error) return undefined;
  const metadata = isRecord(error.metadata) ? error.metadata : {};
  const providerSaid = metadata.raw === undefined ? undefined : providerWords(metadata.raw);
  if (providerSaid) {
    const provider = typeof metadata.provider_name === 'string' ? ` (${metadata.provider_name})` : '';
    return { ...error, message: `${String(error.message ?? '')}${provider}: ${providerSaid}` };
  }
  // In OpenAI's own shape, the SDK reads it as it is.
  return isRecord(body) && body.error === error ? undefined : error;
}

/**
 * The error object a body holds: OpenAI's `{"error": {…}}` (Anthropic's too); Gemini's OpenAI-compatible API wraps
 * it in a one-element array (`[{"error": {"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}}]`); Mistral's
 * API, SGLang and vLLM before 0.10.1 send its fields at the top (`{"object": "error", "message": "…", "type": …,
 * "code": …}`); Hugging Face's text-generation-inference (TGI) and LM Studio send the words as `error` itself
 * (`{"error": "Input validation error: …", "error_type": "validation"}`), which the SDK would quote as JSON.
 */
function errorObjectOf(body: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(body) && body.length === 1 && isRecord(body[0]) && isRecord(body[0].error)) return body[0].error;
  if (!isRecord(body)) return undefined;
  if (isRecord(body.error)) return body.error;
  if (typeof body.error === 'string') return { message: body.error, type: body.error_type ?? null };
  return !('error' in body) && typeof body.message === 'string' ? body : undefined;
}

/** What a provider's own error body says: its message, read as its error's shape has it; else the body as text. */
function providerWords(raw: unknown): string | undefined {
  const body = typeof raw === 'string' ? (parsedJson(raw) ?? raw) : raw;
  if (typeof body === 'string') return body.trim() || undefined;
  const message = errorObjectOf(body)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

/**
 * Finish reasons of a reply the server gave up on, not the model's: `error` (OpenRouter's, vLLM's for a failed
 * request) and `abort` (vLLM and SGLang, for a request aborted on the server, as when it pauses generation for a
 * weight update): what came before is a fragment, to be asked for again.
 */
const SERVER_FAILED_REASONS: ReadonlySet<string> = new Set(['error', 'abort']);

/**
 * The completion, unless the server failed it after its 200: OpenRouter sends the error of a generation that had
 * started where the completion should be (`{"error": {"code": 502, …}}`), and a failed or aborted choice ends with
 * one of SERVER_FAILED_REASONS. Thrown as the SDK throws an error sent inside a stream, and retried as one.
 */
function answered(completion: AccumulatedCompletion): AccumulatedCompletion {
  const error = (completion as { error?: unknown }).error;
  if (isRecord(error)) throw new OpenAI.APIError(undefined, error, undefined, undefined);
  const reason: string | null | undefined = completion.choices?.[0]?.finish_reason;
  if (reason && SERVER_FAILED_REASONS.has(reason))
    throw new OpenAI.APIError(
      undefined,
      { type: 'server_error', message: `the server ended the reply with finish_reason "${reason}"` },
      undefined,
      undefined,
    );
  return completion;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Per attempt: long generations on slow local servers. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

export class OpenAIPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly client: OpenAI;
  private readonly parameters: Record<string, unknown>;
  private readonly prices?: PriceSource;
  private streaming: boolean;
  /**
   * The quirks this server showed, worked around from then on: a server that cannot stream a request goes without
   * streaming, one that refuses part of the messages gets them as `messagesAsSent` changes them (each turn's
   * `workarounds` say so, which the RL export reads to write the prompts as sent).
   */
  private readonly workarounds = new Workarounds((quirk) => this.adopt(quirk));

  constructor(private readonly options: OpenAIPolicyOptions) {
    const baseURL = options.baseURL ?? OPENAI_DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? (options.env ?? process.env).OPENAI_API_KEY;
    const openAIItself = isOpenAIItself(baseURL);
    if (!apiKey && openAIItself) {
      throw new PolicyError(
        'OPENAI_API_KEY is not set: export it, or give an OpenAI-compatible server with openai:MODEL@BASE_URL',
      );
    }
    const settings = options.settings ?? {};
    refuseForeignSettings(settings, baseURL, options.model);
    this.client = new OpenAI({
      apiKey: apiKey || 'no-key',
      baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      fetch: fetchWithReadableErrors,
    });
    // OpenAI's reasoning models refuse `max_tokens`, on its API and on Azure's; most other servers only know it.
    const maxTokensField = openAIItself || isAzureOpenAI(baseURL) ? 'max_completion_tokens' : 'max_tokens';
    this.parameters = dropUndefined({
      temperature: settings.temperature,
      top_p: settings.topP,
      seed: settings.seed,
      [maxTokensField]: settings.maxTokens,
      stop: settings.stop,
      reasoning_effort: settings.reasoningEffort,
      // Only when asked: `false` is the servers' default, and some servers refuse a field they do not know.
      logprobs: settings.logprobs || undefined,
      return_token_ids: settings.tokenIds || undefined,
      ...options.extraBody,
    });
    this.streaming = settings.stream ?? DEFAULT_STREAM;
    this.prices = modelPrices(options.model, settings);
    this.info = {
      backend: 'openai',
      model: options.model,
      baseURL,
      parameters: { ...this.parameters },
      settings,
      ...(openAIItself ? { server: 'openai' } : {}),
      contextWindow: knownContextWindow(options.model, settings),
      ...(this.prices ? { prices: this.prices } : {}),
    };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    await probeIntoInfo(this.info, this.client.apiKey, signal);
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const attempt = () => (this.streaming ? this.stream(request) : this.complete(request));
    const { value, ...how } = await sdkCall(this.workarounds, this.info, attempt, {
      retry: this.options.retry,
      request,
      apiKey: this.client.apiKey,
    });
    return { ...this.toResponse(value, request), ...how, modelMs: performance.now() - started };
  }

  resumeAfter({ workarounds = [] }: RecordedCalls): void {
    this.workarounds.resume(workarounds);
  }

  /** Starts working around a quirk the server showed, where it can: streaming off, or the messages changed. */
  private adopt(quirk: QuirkName): boolean {
    if ((quirk === 'llamacpp-stream-tools' || quirk === 'stream-options') && this.streaming) {
      this.streaming = false;
      return true;
    }
    return changesMessages(quirk);
  }

  private body(request: PolicyRequest): ChatCompletionCreateParams {
    return {
      ...this.parameters,
      model: this.options.model,
      messages: messagesAsSent(request.messages, this.workarounds.current).map(toWireMessage),
      ...(request.tools.length ? { tools: request.tools } : {}),
    } as ChatCompletionCreateParams;
  }

  private async complete(request: PolicyRequest): Promise<AccumulatedCompletion> {
    const completion = await this.client.chat.completions.create(
      { ...this.body(request), stream: false },
      { signal: request.signal },
    );
    return answered(completion as unknown as AccumulatedCompletion);
  }

  /**
   * One streamed attempt, bounded as a whole by the attempt timeout (withinDeadline). A stream that ends before a
   * choice's finish_reason was cut off (a dropped connection, a crashed server, a body that is no stream): it is a
   * connection failure, retried, never an answer.
   */
  private async stream(request: PolicyRequest): Promise<AccumulatedCompletion> {
    const accumulator = new CompletionAccumulator(request.onDelta && withStreamedReasoningApart(request.onDelta));
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const timedOut = (words: { message: string }) => new OpenAI.APIConnectionTimeoutError(words);
    await withinDeadline(
      timeoutMs,
      request.signal,
      async (signal) => {
        const stream = await this.client.chat.completions.create(
          { ...this.body(request), stream: true, stream_options: { include_usage: true } },
          { signal },
        );
        for await (const chunk of stream) accumulator.push(chunk);
      },
      timedOut,
    );
    const completion = accumulator.result();
    if (!completion.choices[0].finish_reason)
      throw new OpenAI.APIConnectionError({ message: 'the stream ended before the answer did (no finish_reason)' });
    return answered(completion);
  }

  private toResponse(
    completion: AccumulatedCompletion,
    request: PolicyRequest,
  ): Omit<PolicyResponse, 'retries' | 'modelMs'> {
    const choice = completion.choices?.[0];
    if (!choice?.message)
      throw new PolicyError(
        `${this.info.baseURL} returned a completion without choices: ${JSON.stringify(completion).slice(0, 500)}`,
      );
    const message = choice.message;
    const assistant = toAssistantMessage(message);
    const usage = readUsage(completion, () => ({ request: request.messages, reply: assistant }));
    const serverCost = completion.usage?.cost;
    return dropUndefined({
      message: assistant,
      usage,
      cost: typeof serverCost === 'number' ? serverCost : this.prices ? costOf(usage, this.prices) : undefined,
      logprobs: choice.logprobs?.content?.map(({ token, logprob }): TokenLogprob => ({ token, logprob })),
      tokenIds: choice.token_ids
        ? dropUndefined({ prompt: completion.prompt_token_ids, completion: choice.token_ids })
        : undefined,
      finishReason: choice.finish_reason ?? undefined,
      sampling: this.info.parameters,
      model: completion.model,
      systemFingerprint: completion.system_fingerprint ?? undefined,
      reasoning:
        message.reasoning_content || message.reasoning || assistant.extra?.reasoning_sent_back?.text || undefined,
    });
  }
}

/** Token counts as the server reported them; estimated (and said so) when a server sent none. */
function readUsage(
  completion: AccumulatedCompletion,
  estimateFrom: () => { request: unknown; reply: unknown },
): TokenUsage {
  const usage = completion.usage as
    | {
        prompt_tokens?: number;
        completion_tokens?: number;
        prompt_tokens_details?: { cached_tokens?: number } | null;
        completion_tokens_details?: { reasoning_tokens?: number } | null;
      }
    | undefined;
  if (!usage || typeof usage.prompt_tokens !== 'number') {
    const { request, reply } = estimateFrom();
    return { promptTokens: estimatedTokens(request), completionTokens: estimatedTokens(reply), estimated: true };
  }
  // llama.cpp reports the prompt tokens it reused from its cache in `timings.cache_n`.
  const cached = usage.prompt_tokens_details?.cached_tokens ?? numberOrUndefined(completion.timings?.cache_n);
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens ?? 0,
    ...(cached ? { cachedPromptTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * A message as OpenAI-compatible servers take it: only the fields of the chat format (never `extra`), its tool
 * calls with the `extra_content` their server put on them and the reasoning field it returned; an assistant message
 * without tool calls always has text, since servers refuse `content: null` there.
 */
export function toWireMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: assistantContent(message),
        ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
        ...reasoningToSendBack(message),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.tool_call_id, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

/** An assistant message's content as its server returned it: text, or Mistral's thinking and text chunks. */
function assistantContent(message: AssistantMessage): ChatCompletionAssistantMessageParam['content'] {
  const content = message.tool_calls?.length ? message.content : (message.content ?? '');
  const kept = message.extra?.reasoning_sent_back;
  if (kept?.field !== 'content_chunks') return content;
  // Mistral's thinking chunk is not among the SDK's content part types.
  return contentChunksOf(kept.text, content) as unknown as ChatCompletionAssistantMessageParam['content'];
}

/**
 * The reasoning an assistant message goes back with: the field its server returned, as it returned it ('' too), and
 * OpenRouter's reasoning blocks, unmodified. Nothing for a message from a server that returned none, so such servers
 * get the requests they always got (OpenAI's own API, which refuses fields it does not know, returns no reasoning in
 * chat completions).
 */
function reasoningToSendBack(message: AssistantMessage): {
  reasoning_content?: string;
  reasoning?: string;
  reasoning_details?: ReasoningDetail[];
} {
  const kept = message.extra?.reasoning_sent_back;
  const details = message.extra?.reasoning_details;
  return {
    ...(kept?.field === 'reasoning_content' || kept?.field === 'reasoning' ? { [kept.field]: kept.text } : {}),
    ...(details ? { reasoning_details: details } : {}),
  };
}

/**
 * The server's message as our AssistantMessage. Some servers send tool-call arguments as an object rather
 * than a JSON string, or leave out the call id; both are normalised so the toolbox sees a string. Reasoning
 * the message carried is kept, with the field it came in (or apart from its text, where the model wrote it there),
 * OpenRouter's reasoning blocks (`reasoning_details`, when it sent any) as they are, and a call's vendor extension
 * (`extra_content`) on its call, to be sent back as they came.
 */
export function toAssistantMessage(message: {
  /** Text, or Mistral's list of chunks (contentChunks.ts). */
  content?: unknown;
  tool_calls?:
    { id?: string; type?: string; function: { name: string; arguments?: unknown }; extra_content?: unknown }[] | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  reasoning_details?: unknown;
}): AssistantMessage {
  const toolCalls: ToolCall[] = (message.tool_calls ?? []).flatMap((call, index) => {
    if (call.type !== undefined && call.type !== 'function') return [];
    const args = call.function.arguments;
    return [
      {
        id: call.id || `call_${index}`,
        type: 'function',
        function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
        ...(isRecord(call.extra_content) ? { extra_content: call.extra_content } : {}),
      },
    ];
  });
  const reasoningField = reasoningFieldOf(message);
  const details = message.reasoning_details;
  const { text, thinking } = contentApart(message.content);
  const extra: AssistantMessage['extra'] = {
    ...(reasoningField ? { reasoning_sent_back: { field: reasoningField, text: message[reasoningField] ?? '' } } : {}),
    ...(!reasoningField && thinking ? { reasoning_sent_back: { field: 'content_chunks', text: thinking } } : {}),
    ...(Array.isArray(details) && details.length ? { reasoning_details: details as ReasoningDetail[] } : {}),
  };
  return withInlineReasoningApart({
    role: 'assistant',
    content: toolCalls.length ? text : (text ?? ''),
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  });
}

function dropUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
