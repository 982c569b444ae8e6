/**
 * A test double for OpenAI's chat-completions API, and the base of the OpenAI-compatible families (vLLM,
 * llama.cpp, LM Studio, Ollama's /v1): POST /v1/chat/completions, non-streaming and SSE; GET /v1/models.
 * As OpenAI documents: `system_fingerprint` on completions and chunks; usage with
 * `prompt_tokens_details.cached_tokens` (automatic prompt caching: prompts of 1024 tokens or more, the shared
 * prefix with an earlier request in 128-token steps) and `completion_tokens_details.reasoning_tokens`;
 * `stream_options.include_usage` adding a final chunk with empty `choices`; 401 quoting a wrong key; 429
 * with `retry-after`; a context-length refusal with code `context_length_exceeded` when a window is set.
 */
import {
  pieces,
  promptTokens,
  ScriptedServer,
  type Answer,
  type RecordedRequest,
  type RenderableStep,
  type ScriptStep,
} from './scriptedServer';

export { roughTokens, step, type RecordedRequest, type ScriptStep, ScriptedServer } from './scriptedServer';

export interface ScriptedOpenAIServerOptions {
  /** The model name served and listed by /v1/models. */
  model?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401 like OpenAI's. */
  apiKey?: string;
  /** The model's context window; a longer prompt (plus max tokens) is refused as the family refuses it. */
  contextWindow?: number;
  /** Answers when the script runs out. */
  respond?: (request: RecordedRequest) => ScriptStep;
}

export type WireToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** What a rendered completion is made of, handed to the family's hooks. */
export interface CompletionParts {
  id: string;
  model: string;
  content: string | null;
  reasoning?: string;
  toolCalls?: WireToolCall[];
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  step: RenderableStep;
  request: RecordedRequest;
}

export class ScriptedOpenAIServer extends ScriptedServer {
  private completionCount = 0;
  private readonly promptCache = new OpenAIPromptCache();

  constructor(
    steps: ScriptStep[],
    protected readonly options: ScriptedOpenAIServerOptions = {},
  ) {
    super(steps, options.respond);
  }

  /** The base URL an OpenAI client takes, ending in `/v1`. */
  get baseURL(): string {
    return `${this.origin}/v1`;
  }

  /** The recorded chat-completion requests (not model listings). */
  get completionRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/chat/completions');
  }

  protected get model(): string {
    return this.options.model ?? 'scripted-model';
  }

  /** The family's entry for the served model in /v1/models. */
  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', created: 1_700_000_000, owned_by: 'system' };
  }

  /** The body of GET /v1/models: OpenAI's list of cards. */
  protected modelListing(): unknown {
    return { object: 'list', data: [this.modelCard()] };
  }

  /** The paths whose POST is a model call, answered from the script. */
  protected get modelCallPaths(): string[] {
    return ['/v1/chat/completions'];
  }

  /** The family's routes beyond /v1/models and its model calls. */
  protected extraRoute(_request: RecordedRequest): Answer | undefined {
    return undefined;
  }

  /** A request the family refuses before generating (a prompt too long, a feature switched off). */
  protected refuse(request: RecordedRequest): Answer | undefined {
    const window = this.options.contextWindow;
    const tokens = promptTokens(request.body);
    if (window && tokens > window)
      return this.errorAnswer(
        400,
        `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        'context_length_exceeded',
      );
    return undefined;
  }

  /** The family's fields on a finished completion (and, for streams, on the chunks that carry them). */
  protected decorate(completion: Record<string, unknown>, parts: CompletionParts): void {
    completion.system_fingerprint = 'fp_scripted0';
    const usage = completion.usage as Record<string, unknown>;
    const prompt = JSON.stringify(parts.request.body?.messages ?? []);
    usage.prompt_tokens_details = {
      cached_tokens: this.promptCache.cachedTokens(prompt, parts.promptTokens),
      audio_tokens: 0,
    };
    usage.completion_tokens_details = {
      reasoning_tokens: parts.reasoning ? Math.ceil(parts.reasoning.length / 4) : 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    };
  }

  /** The message fields that carry reasoning (each the whole text), none when the family sends none. */
  protected get reasoningFields(): string[] {
    return [];
  }

  /**
   * The model's reasoning comes back in its reply's text, between the `<think>` tags it wrote, as from a server that
   * has no reasoning parser for it (or was started without one); then in none of the reasoning fields.
   */
  protected get reasoningInText(): boolean {
    return false;
  }

  /** The deltas that stream the reply's reasoning: its text in pieces, in each reasoning field. */
  protected reasoningDeltas(parts: CompletionParts): Record<string, unknown>[] {
    return pieces(parts.reasoning).map((piece) =>
      Object.fromEntries(this.reasoningFields.map((field) => [field, piece])),
    );
  }

  /** The first delta of a stream: OpenAI's names the role, with empty content. */
  protected openingDelta(_parts: CompletionParts): Record<string, unknown> {
    return { role: 'assistant', content: '' };
  }

  /** The deltas that stream the reply's text: OpenAI's cut it into pieces. */
  protected contentDeltas(parts: CompletionParts): Record<string, unknown>[] {
    return pieces(parts.content).map((piece) => ({ content: piece }));
  }

  /** The deltas that stream the reply's calls: OpenAI's open each at its index, then append its arguments. */
  protected toolCallDeltas(parts: CompletionParts): Record<string, unknown>[] {
    return (parts.toolCalls ?? []).flatMap((call, index) => [
      { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] },
      ...pieces(call.function.arguments).map((piece) => ({ tool_calls: [{ index, function: { arguments: piece } }] })),
    ]);
  }

  protected route(request: RecordedRequest): Answer | undefined {
    if (this.options.apiKey && request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      // Like OpenAI, quote the rejected key back, so tests can check that it never reaches a log.
      const given = request.headers.authorization?.toString().replace(/^Bearer /, '');
      return this.errorAnswer(401, `Incorrect API key provided: ${given}.`, 'invalid_api_key');
    }
    if (request.method === 'GET' && request.path === '/v1/models') return { status: 200, json: this.modelListing() };
    if (request.method === 'POST' && this.modelCallPaths.includes(request.path)) return this.refuse(request);
    return this.extraRoute(request) ?? this.errorAnswer(404, `no route ${request.method} ${request.path}`);
  }

  protected errorAnswer(status: number, message: string, code?: string): Answer {
    const type =
      code === 'insufficient_quota'
        ? 'insufficient_quota'
        : status === 429
          ? 'requests'
          : status >= 500
            ? 'server_error'
            : 'invalid_request_error';
    return {
      status,
      json: { error: { message, type, param: null, code: code ?? (status === 429 ? 'rate_limit_exceeded' : null) } },
    };
  }

  /** The id of a scripted call the script names none for: the `i`th call of the `completion`th answer. */
  protected callId(completion: number, i: number): string {
    return `call_${completion}_${i}`;
  }

  protected render(scripted: RenderableStep, request: RecordedRequest): Answer {
    const body = request.body ?? {};
    const index = this.completionCount++;
    const toolCalls =
      scripted.type === 'tool_calls'
        ? scripted.calls.map((call, i): WireToolCall => ({
            id: call.id ?? this.callId(index, i),
            type: 'function',
            function: {
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            },
          }))
        : undefined;
    const inText = this.reasoningInText && scripted.reasoning !== undefined;
    const content = inText
      ? `<think>\n${scripted.reasoning}\n</think>\n\n${scripted.content ?? ''}`
      : (scripted.content ?? null);
    const parts: CompletionParts = {
      id: `chatcmpl-scripted-${index}`,
      model: typeof body.model === 'string' ? body.model : this.model,
      content,
      reasoning: inText ? undefined : scripted.reasoning,
      toolCalls,
      finishReason: scripted.finishReason ?? (scripted.type === 'tool_calls' ? 'tool_calls' : 'stop'),
      promptTokens: scripted.usage?.prompt_tokens ?? promptTokens(request.body),
      completionTokens:
        scripted.usage?.completion_tokens ?? Math.ceil(((content ?? '') + JSON.stringify(toolCalls ?? '')).length / 4),
      step: scripted,
      request,
    };
    const completion = this.completion(parts);
    return body.stream ? { status: 200, sse: this.chunks(parts, completion) } : { status: 200, json: completion };
  }

  private completion(parts: CompletionParts): Record<string, unknown> {
    const body = parts.request.body ?? {};
    const { step: scripted } = parts;
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: parts.content,
      ...(parts.toolCalls ? { tool_calls: parts.toolCalls } : {}),
    };
    if (parts.reasoning) for (const field of this.reasoningFields) message[field] = parts.reasoning;
    const completion: Record<string, unknown> = {
      id: parts.id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: parts.model,
      choices: [
        {
          index: 0,
          message,
          logprobs:
            body.logprobs && scripted.logprobs
              ? { content: scripted.logprobs.map((entry) => ({ ...entry, bytes: null, top_logprobs: [] })) }
              : null,
          finish_reason: parts.finishReason,
          ...(body.return_token_ids && scripted.tokenIds ? { token_ids: scripted.tokenIds.completion } : {}),
        },
      ],
      usage: {
        prompt_tokens: parts.promptTokens,
        completion_tokens: parts.completionTokens,
        total_tokens: parts.promptTokens + parts.completionTokens,
      },
      ...(body.return_token_ids && scripted.tokenIds ? { prompt_token_ids: scripted.tokenIds.prompt } : {}),
    };
    this.decorate(completion, parts);
    return completion;
  }

  /** The same answer as `chat.completion.chunk` events: role, reasoning, content, tool calls, finish, usage. */
  private chunks(parts: CompletionParts, completion: Record<string, unknown>): unknown[] {
    const body = parts.request.body ?? {};
    const fingerprint = completion.system_fingerprint;
    const chunk = (delta: unknown, finish: string | null = null, extra: Record<string, unknown> = {}) => ({
      id: parts.id,
      object: 'chat.completion.chunk',
      created: 0,
      model: parts.model,
      ...(fingerprint ? { system_fingerprint: fingerprint } : {}),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...extra }],
    });
    const events: unknown[] = [chunk(this.openingDelta(parts))];
    const choice = (completion.choices as Record<string, unknown>[])[0];
    const tokenIds = choice.token_ids as number[] | undefined;
    if (completion.prompt_token_ids)
      Object.assign(events[0] as object, { prompt_token_ids: completion.prompt_token_ids });
    const deltas = [...this.reasoningDeltas(parts), ...this.contentDeltas(parts), ...this.toolCallDeltas(parts)];
    for (const delta of deltas) events.push(chunk(delta));
    // The log-probabilities of the reply travel on its last chunk (OpenAI spreads them over the content chunks).
    events.push(
      chunk({}, parts.finishReason, {
        ...(tokenIds ? { token_ids: tokenIds } : {}),
        logprobs: choice.logprobs ?? null,
      }),
    );
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      events.push({
        id: parts.id,
        object: 'chat.completion.chunk',
        created: 0,
        model: parts.model,
        ...(fingerprint ? { system_fingerprint: fingerprint } : {}),
        choices: [],
        usage: completion.usage,
      });
    }
    events.push('[DONE]');
    return events;
  }
}

/**
 * OpenAI's automatic prompt caching, as both its APIs play it: the prefix a prompt shares with the last one is read
 * from the cache, for prompts of 1024 tokens or more, in steps of 128 tokens (4 characters a token).
 */
export class OpenAIPromptCache {
  private previous = '';

  /** The cached tokens of `prompt` (its text in the API's cache order) of `promptTokens` tokens. */
  cachedTokens(prompt: string, promptTokens: number): number {
    let shared = 0;
    while (shared < prompt.length && shared < this.previous.length && prompt[shared] === this.previous[shared])
      shared++;
    this.previous = prompt;
    if (promptTokens < 1024) return 0;
    return Math.min(promptTokens, Math.floor(shared / 4 / 128) * 128);
  }
}
