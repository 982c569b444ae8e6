/**
 * OpenAI's Responses API (POST /v1/responses) with function tools, through the official `openai` SDK: the only API
 * OpenAI serves its Codex models (gpt-5-codex and later) and pro models through, and one vLLM and Ollama serve too.
 * The conversation stays in chat format everywhere else; it is mapped to input items on the way out and back.
 * Nothing is stored on the server (`store: false`): a reasoning model's reasoning comes back encrypted, is kept on
 * its message as the server sent it, and goes back with every later request, so the model keeps its train of thought
 * across tool calls as OpenAI's reasoning guide asks. Streams replies (SSE) by default.
 */
import OpenAI from 'openai';
import type {
  FunctionTool,
  Response,
  ResponseCreateParamsBase,
  ResponseErrorEvent,
  ResponseInputItem,
  ResponseOutputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { ToolDefinition } from '../tools/tool';
import { withInlineReasoningApart, withStreamedReasoningApart } from './inlineReasoning';
import {
  DEFAULT_STREAM,
  MODEL_SETTING_FIELDS,
  ModelSettingsError,
  refuseKnobsOfOtherAPIs,
  type ModelSettings,
} from './modelSettings';
import { costOf, knownContextWindow, modelPrices, type PriceSource } from './modelTable';
import { fetchWithReadableErrors, isOpenAIItself, OPENAI_DEFAULT_BASE_URL, sdkCall } from './openaiPolicy';
import {
  estimatedTokens,
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  type ReasoningItem,
  type RecordedCalls,
  type ReplyDelta,
  type TokenUsage,
  type ToolCall,
} from './policy';
import { messagesAsSent, refusedFromTheStart } from './requestAsSent';
import { withinDeadline, type RetryOptions } from './retry';
import { probeIntoInfo } from './serverProbe';
import { Workarounds } from './workarounds';

export interface ResponsesPolicyOptions {
  model: string;
  /** Server root including `/v1` (default: OpenAI). */
  baseURL?: string;
  /** Default: OPENAI_API_KEY from `env`. Local servers that want no key get a placeholder. */
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  settings?: ModelSettings;
  /** Per attempt (default 10 minutes). */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** A request's fields but `stream`, which each way of sending sets. */
type RequestBody = Omit<ResponseCreateParamsBase, 'stream'>;

/** Per attempt, streamed or not: a reasoning model may think for minutes before it writes. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

/** Knobs the Responses API does not have: refused rather than silently dropped. */
function refuseForeignSettings(settings: ModelSettings): void {
  const missing: [keyof ModelSettings, string][] = [
    ['seed', 'has no sampling seed'],
    ['stop', 'has no stop sequences'],
    ['tokenIds', 'returns no token ids'],
    ['logprobs', 'returns log-probabilities of text only, not of tool calls, so they are not recorded'],
  ];
  for (const [knob, why] of missing)
    if (settings[knob] !== undefined && settings[knob] !== false)
      throw new ModelSettingsError(`--${MODEL_SETTING_FIELDS[knob].flag}: OpenAI's Responses API ${why}`);
  refuseKnobsOfOtherAPIs(settings, ['numCtx', 'thinkingBudget']);
}

/** The request's `reasoning`: the effort and the summary asked for, if any. */
function reasoningParameter({ reasoningEffort: effort, reasoningSummary: summary }: ModelSettings) {
  if (effort === undefined && summary === undefined) return {};
  return { reasoning: { ...(effort ? { effort } : {}), ...(summary ? { summary } : {}) } };
}

export class ResponsesPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly client: OpenAI;
  private readonly parameters: Omit<RequestBody, 'model' | 'input'>;
  private readonly prices?: PriceSource;
  private readonly streaming: boolean;
  /** A model that is no reasoning model refuses to return encrypted reasoning: it is not asked for from then on. */
  private readonly workarounds = new Workarounds((quirk) => quirk === 'encrypted-reasoning-refused');

  constructor(private readonly options: ResponsesPolicyOptions) {
    const baseURL = options.baseURL ?? OPENAI_DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? (options.env ?? process.env).OPENAI_API_KEY;
    if (!apiKey && isOpenAIItself(baseURL))
      throw new PolicyError(
        'OPENAI_API_KEY is not set: export it, or give a server with openai-responses:MODEL@BASE_URL',
      );
    const settings = options.settings ?? {};
    refuseForeignSettings(settings);
    this.client = new OpenAI({
      apiKey: apiKey || 'no-key',
      baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      fetch: fetchWithReadableErrors,
    });
    this.parameters = {
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
      ...(settings.maxTokens !== undefined ? { max_output_tokens: settings.maxTokens } : {}),
      ...reasoningParameter(settings),
      // Nothing of the run is kept on the server; the reasoning that must go back comes back encrypted instead.
      store: false,
      include: ['reasoning.encrypted_content'],
    };
    this.streaming = settings.stream ?? DEFAULT_STREAM;
    this.prices = modelPrices(options.model, settings);
    this.info = {
      backend: 'openai-responses',
      model: options.model,
      baseURL,
      parameters: { ...this.parameters },
      settings,
      ...(isOpenAIItself(baseURL) ? { server: 'openai' } : {}),
      contextWindow: knownContextWindow(options.model, settings),
      ...(this.prices ? { prices: this.prices } : {}),
    };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    await probeIntoInfo(this.info, this.client.apiKey, signal);
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const attempt = async () => {
      const body = this.body(request);
      const response = this.streaming
        ? await this.stream(body, request)
        : await this.client.responses.create({ ...body, stream: false }, { signal: request.signal });
      return answered(response);
    };
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

  /** The request: the conversation as input items, without the encrypted reasoning a model refused to return. */
  private body(request: PolicyRequest): RequestBody {
    const { include, ...parameters } = this.parameters;
    return {
      ...parameters,
      ...(this.workarounds.current.has('encrypted-reasoning-refused') ? {} : { include }),
      model: this.options.model,
      ...toResponsesInput(request.messages),
      ...(request.tools.length ? { tools: request.tools.map(toFunctionTool) } : {}),
    };
  }

  private toResponse(response: Response, request: PolicyRequest): Omit<PolicyResponse, 'retries' | 'modelMs'> {
    const message = fromResponseOutput(response.output);
    const usage = readUsage(response, () => ({ request: request.messages, reply: response.output }));
    const reasoning = reasoningText(response.output) || message.extra?.reasoning_sent_back?.text;
    return {
      message,
      usage,
      ...(this.prices ? { cost: costOf(usage, this.prices) } : {}),
      finishReason: finishReasonOf(response, message),
      sampling: this.info.parameters,
      ...(response.model ? { model: response.model } : {}),
      ...(reasoning ? { reasoning } : {}),
    };
  }

  /**
   * One streamed attempt, bounded as a whole by the attempt timeout (withinDeadline). A stream that ends before its
   * response did (`response.completed`, `response.incomplete` or `response.failed`) was cut off: a connection
   * failure, retried, never an answer.
   */
  private async stream(body: RequestBody, request: PolicyRequest): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const timedOut = (words: { message: string }) => new OpenAI.APIConnectionTimeoutError(words);
    const last = await withinDeadline(
      timeoutMs,
      request.signal,
      (signal) => this.streamed(body, request, signal),
      timedOut,
    );
    if (!last) throw new OpenAI.APIConnectionError({ message: 'the stream ended before the response did' });
    return last;
  }

  /** The stream's pieces to `onDelta`; the response it ended with, if it ended. */
  private async streamed(
    body: RequestBody,
    request: PolicyRequest,
    signal: AbortSignal,
  ): Promise<Response | undefined> {
    const toDeltas = streamedDeltas();
    const onDelta = request.onDelta && withStreamedReasoningApart(request.onDelta);
    let last: Response | undefined;
    for await (const event of this.client.responses.stream(body, { signal })) {
      if (event.type === 'error') throw streamedError(event);
      for (const delta of toDeltas(event)) onDelta?.(delta);
      const ended = event.type === 'response.completed' || event.type === 'response.incomplete';
      if (ended || event.type === 'response.failed') last = event.response;
    }
    return last;
  }
}

/**
 * The response, unless the server failed it after its 200 (`status: "failed"` with its `error`): thrown as the SDK
 * throws an error sent inside a stream, and retried as one when its code says the server failed.
 */
function answered(response: Response): Response {
  if (response.status !== 'failed') return response;
  const error = response.error ?? { code: 'server_error', message: 'the server failed the response' };
  throw new OpenAI.APIError(undefined, { type: error.code, ...error }, undefined, undefined);
}

/** An `error` event, thrown as the SDK throws an error sent inside a stream: its code read as the status it means. */
function streamedError({ code, message, param }: ResponseErrorEvent): InstanceType<typeof OpenAI.APIError> {
  return new OpenAI.APIError(undefined, { type: code, code, message, param }, undefined, undefined);
}

/** Maps the stream's events to the reply's pieces: text, reasoning (summaries or, on vLLM, its text) and calls. */
function streamedDeltas(): (event: ResponseStreamEvent) => ReplyDelta[] {
  const callIndexOfOutput = new Map<number, number>();
  return (event) => {
    switch (event.type) {
      case 'response.output_text.delta':
        return [{ kind: 'content', text: event.delta }];
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return [{ kind: 'reasoning', text: event.delta }];
      case 'response.output_item.added': {
        if (event.item.type !== 'function_call') return [];
        callIndexOfOutput.set(event.output_index, callIndexOfOutput.size);
        const { call_id: id, name } = event.item;
        return [{ kind: 'tool_call', index: callIndexOfOutput.size - 1, id, name }];
      }
      case 'response.function_call_arguments.delta':
        return [{ kind: 'tool_call', index: callIndexOfOutput.get(event.output_index) ?? 0, arguments: event.delta }];
      default:
        return [];
    }
  };
}

/**
 * Token counts as the server reported them (input tokens count cached ones, output tokens reasoning ones, as
 * TokenUsage does); estimated, and said so, when a server sent none.
 */
function readUsage(response: Response, estimateFrom: () => { request: unknown; reply: unknown }): TokenUsage {
  const usage = response.usage;
  if (!usage) {
    const { request, reply } = estimateFrom();
    return { promptTokens: estimatedTokens(request), completionTokens: estimatedTokens(reply), estimated: true };
  }
  const cached = usage.input_tokens_details?.cached_tokens;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  return {
    promptTokens: usage.input_tokens,
    completionTokens: usage.output_tokens,
    ...(cached ? { cachedPromptTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

/**
 * Why the reply ended, in the API's words: the reason of an incomplete response (`max_output_tokens`,
 * `content_filter`), `refusal` for a reply the model refused, else `tool_calls` or `completed`.
 */
function finishReasonOf(response: Response, message: AssistantMessage): string {
  if (response.status === 'incomplete') return response.incomplete_details?.reason ?? 'incomplete';
  const refused = response.output.some(
    (item) => item.type === 'message' && item.content.some((part) => part.type === 'refusal'),
  );
  if (refused) return 'refusal';
  return message.tool_calls?.length ? 'tool_calls' : 'completed';
}

export function toFunctionTool(tool: ToolDefinition): FunctionTool {
  // The Responses API holds function schemas to its strict subset unless told not to; the tools' are plain JSON Schema.
  return {
    type: 'function',
    name: tool.function.name,
    description: tool.function.description,
    parameters: tool.function.parameters as FunctionTool['parameters'],
    strict: false,
  };
}

/**
 * Chat-format messages as the Responses API's `instructions` and input items: system messages join the
 * instructions; an assistant message becomes its reasoning items as the server sent them, its text, and a
 * `function_call` item per call; a tool result a `function_call_output` item of its call.
 */
export function toResponsesInput(messages: ChatMessage[]): { instructions?: string; input: ResponseInputItem[] } {
  const sent = messagesAsSent(messages, refusedFromTheStart('openai-responses'));
  const system = sent.filter((message) => message.role === 'system').map((message) => message.content);
  const input = sent.flatMap((message): ResponseInputItem[] => {
    switch (message.role) {
      case 'system':
        return [];
      case 'user':
        return [{ role: 'user', content: message.content }];
      case 'tool':
        return [{ type: 'function_call_output', call_id: message.tool_call_id, output: message.content }];
      case 'assistant':
        return assistantItems(message);
    }
  });
  return { ...(system.length ? { instructions: system.join('\n\n') } : {}), input };
}

/**
 * An assistant message's input items. Its reasoning goes back only before its text or calls: OpenAI refuses a
 * reasoning item with nothing after it (`Item 'rs_…' of type 'reasoning' was provided without its required
 * following item`), which is what is left of a reply cut off while the model still thought.
 */
function assistantItems(message: AssistantMessage): ResponseInputItem[] {
  const text: ResponseInputItem[] = message.content ? [{ role: 'assistant', content: message.content }] : [];
  const calls = (message.tool_calls ?? []).map((call): ResponseInputItem => ({
    type: 'function_call',
    call_id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
  }));
  if (text.length + calls.length === 0) return [];
  const reasoning = (message.extra?.reasoning_items ?? []) as unknown as ResponseInputItem[];
  return [...reasoning, ...text, ...calls];
}

/**
 * The response's output items as one assistant message, its reasoning items kept whole to go back as they came, and
 * reasoning the model wrote in its text (a server without a reasoning parser: vLLM's Responses API) read apart.
 */
export function fromResponseOutput(output: ResponseOutputItem[]): AssistantMessage {
  const text = output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : part.refusal))
    .join('');
  // A server that leaves out a call's `call_id` gets its results matched by the item's id, as chat-completion calls
  // without an id are.
  const toolCalls = output.flatMap((item, index): ToolCall[] =>
    item.type === 'function_call'
      ? [
          {
            id: item.call_id || item.id || `call_${index}`,
            type: 'function',
            function: { name: item.name, arguments: item.arguments },
          },
        ]
      : [],
  );
  const reasoningItems = output.filter((item) => item.type === 'reasoning') as unknown as ReasoningItem[];
  return withInlineReasoningApart({
    role: 'assistant',
    content: toolCalls.length ? text || null : text,
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    ...(reasoningItems.length ? { extra: { reasoning_items: reasoningItems } } : {}),
  });
}

/** The readable reasoning of a response: its summaries, or the reasoning text a server such as vLLM returns. */
function reasoningText(output: ResponseOutputItem[]): string {
  return output
    .flatMap((item) => (item.type === 'reasoning' ? [...item.summary, ...(item.content ?? [])] : []))
    .map((part) => part.text)
    .join('\n');
}
