/**
 * A test double for Ollama, as its API docs and server source describe it, speaking both its own API and its
 * OpenAI-compatible one:
 * - POST /api/show gives `parameters` (a Modelfile's `num_ctx` when it sets one), `model_info` with
 *   `<arch>.context_length`, and `capabilities` (`tools` only for tool-capable models); GET /api/ps lists
 *   loaded models with their `context_length`;
 * - POST /api/chat takes `options.num_ctx`, answers `{model, created_at, message, done, done_reason,
 *   prompt_eval_count, eval_count}`, streams NDJSON, and carries the model's `thinking`; asked `logprobs: true`
 *   (0.12.11 on), it adds `logprobs` `[{token, logprob, bytes}]` beside `message`, each streamed line those of its
 *   own text; its /v1 API drops the field (ollama/ollama#16117);
 * - a prompt past the context is silently cut, oldest messages first and system messages kept — unless the
 *   request says `truncate: false`, which gets 400 "the input length exceeds the context length"; the
 *   OpenAI-compatible /v1 API cannot set `num_ctx` and always cuts;
 * - `tools` for a model without the tools capability: 400 "<model> does not support tools".
 */
import {
  pieces,
  promptTokens,
  type Answer,
  type RecordedRequest,
  type RenderableStep,
  type ScriptStep,
} from './scriptedServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface OllamaServerOptions extends ScriptedOpenAIServerOptions {
  /** The model has the tools capability (default true). */
  tools?: boolean;
  /** The server's context when nothing sets one (default 4096, Ollama's below 24 GiB of VRAM). */
  defaultNumCtx?: number;
  /** A Modelfile `PARAMETER num_ctx`. */
  modelfileNumCtx?: number;
  /** `<arch>.context_length` (default 32768). */
  trainedContext?: number;
}

interface Message {
  role: string;
  content?: string;
}

export class OllamaServer extends ScriptedOpenAIServer {
  /** Requests whose oldest messages were dropped to fit the context, as Ollama does without a word. */
  readonly truncations: { path: string; dropped: number }[] = [];
  private loadedContext?: number;

  constructor(
    steps: ScriptStep[],
    private readonly ollama: OllamaServerOptions = {},
  ) {
    super(steps, { ...ollama, model: ollama.model ?? 'qwen2.5-coder:7b' });
  }

  /** The requests to Ollama's own chat API. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/api/chat');
  }

  private get fullName(): string {
    return `registry.ollama.ai/library/${this.model}`;
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', created: 1_700_000_000, owned_by: 'library' };
  }

  protected extraRoute(request: RecordedRequest): Answer | undefined {
    if (request.method === 'POST' && request.path === '/api/show') {
      if (request.body?.model !== this.model)
        return { status: 404, json: { error: `model '${String(request.body?.model)}' not found` } };
      return {
        status: 200,
        json: {
          modelfile: `FROM ${this.model}\n${this.ollama.modelfileNumCtx ? `PARAMETER num_ctx ${this.ollama.modelfileNumCtx}\n` : ''}`,
          parameters: [
            ...(this.ollama.modelfileNumCtx ? [`num_ctx                        ${this.ollama.modelfileNumCtx}`] : []),
            'stop                           "<|im_end|>"',
          ].join('\n'),
          template: '{{ .Prompt }}',
          details: {
            format: 'gguf',
            family: 'qwen2',
            families: ['qwen2'],
            parameter_size: '7.6B',
            quantization_level: 'Q4_K_M',
          },
          model_info: {
            'general.architecture': 'qwen2',
            'general.parameter_count': 7615616512,
            'qwen2.context_length': this.ollama.trainedContext ?? 32768,
          },
          capabilities: this.ollama.tools === false ? ['completion'] : ['completion', 'tools'],
        },
      };
    }
    if (request.method === 'GET' && request.path === '/api/ps')
      return {
        status: 200,
        json: {
          models: this.loadedContext
            ? [
                {
                  name: this.model,
                  model: this.model,
                  size: 6e9,
                  digest: 'sha256:scripted',
                  expires_at: '2030-01-01T00:00:00Z',
                  size_vram: 6e9,
                  context_length: this.loadedContext,
                },
              ]
            : [],
        },
      };
    return undefined;
  }

  protected get modelCallPaths(): string[] {
    return ['/v1/chat/completions', '/api/chat'];
  }

  /** /v1: tools must be supported; a prompt that does not fit is cut, since /v1 cannot set num_ctx or truncate. */
  protected refuse(request: RecordedRequest): Answer | undefined {
    if (request.path === '/api/chat') return this.refuseNative(request);
    return this.checkTools(request) ?? this.cut(request, this.contextFor(undefined), true);
  }

  private refuseNative(request: RecordedRequest): Answer | undefined {
    const body = request.body ?? {};
    const numCtx = this.contextFor((body.options as { num_ctx?: number } | undefined)?.num_ctx);
    return this.checkTools(request) ?? this.cut(request, numCtx, body.truncate !== false);
  }

  private contextFor(requested: number | undefined): number {
    const numCtx = requested ?? this.ollama.modelfileNumCtx ?? this.ollama.defaultNumCtx ?? 4096;
    this.loadedContext = numCtx;
    return numCtx;
  }

  private checkTools(request: RecordedRequest): Answer | undefined {
    const tools = request.body?.tools;
    if (Array.isArray(tools) && tools.length && this.ollama.tools === false)
      return this.refusal(request, 400, `${this.fullName} does not support tools`);
    return undefined;
  }

  /** Ollama's chatPrompt: drop messages from the front (keeping system ones) until the prompt fits. */
  private cut(request: RecordedRequest, numCtx: number, truncate: boolean): Answer | undefined {
    const body = request.body ?? {};
    const messages = (body.messages ?? []) as Message[];
    if (promptTokens(body) <= numCtx) return undefined;
    if (!truncate) return this.refusal(request, 400, 'the input length exceeds the context length');
    let start = 0;
    while (start < messages.length - 1) {
      start++;
      const kept = [
        ...messages.slice(0, start).filter((message) => message.role === 'system'),
        ...messages.slice(start),
      ];
      if (promptTokens({ ...body, messages: kept }) <= numCtx) break;
    }
    this.truncations.push({ path: request.path, dropped: start });
    return undefined;
  }

  /** The native API answers `{"error": "..."}`; the OpenAI-compatible one wraps the same text as OpenAI does. */
  private refusal(request: RecordedRequest, status: number, message: string): Answer {
    return request.path.startsWith('/api/') ? { status, json: { error: message } } : this.errorAnswer(status, message);
  }

  protected errorAnswer(status: number, message: string): Answer {
    const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
    return { status, json: { error: { message, type, param: null, code: null } } };
  }

  protected get reasoningFields(): string[] {
    return ['reasoning'];
  }

  protected decorate(completion: Record<string, unknown>, _parts: CompletionParts): void {
    completion.system_fingerprint = 'fp_ollama';
    for (const choice of completion.choices as { logprobs: unknown }[]) choice.logprobs = null;
  }

  protected render(scripted: RenderableStep, request: RecordedRequest): Answer {
    if (request.path !== '/api/chat') return super.render(scripted, request);
    const body = request.body ?? {};
    const calls =
      scripted.type === 'tool_calls'
        ? scripted.calls.map((call, index) => ({
            id: call.id ?? `call_${index}`,
            function: {
              index,
              name: call.name,
              arguments: typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments,
            },
          }))
        : undefined;
    const content = scripted.content ?? '';
    const done = {
      model: this.model,
      created_at: new Date().toISOString(),
      done: true,
      done_reason: scripted.finishReason ?? 'stop',
      total_duration: 1_000_000,
      load_duration: 1000,
      prompt_eval_count: scripted.usage?.prompt_tokens ?? promptTokens(body),
      prompt_eval_duration: 1000,
      eval_count: scripted.usage?.completion_tokens ?? Math.ceil((content + JSON.stringify(calls ?? '')).length / 4),
      eval_duration: 1000,
    };
    const message = {
      role: 'assistant',
      content,
      ...(scripted.reasoning ? { thinking: scripted.reasoning } : {}),
      ...(calls ? { tool_calls: calls } : {}),
    };
    const logprobs = body.logprobs === true ? (scripted.logprobs ?? []).map(ollamaLogprob) : [];
    if (body.stream === false)
      return { status: 200, json: { ...done, message, ...(logprobs.length ? { logprobs } : {}) } };
    const part = (fields: Record<string, unknown>) => ({
      model: this.model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: '', ...fields },
      done: false,
    });
    return {
      status: 200,
      ndjson: [
        ...pieces(scripted.reasoning).map((thinking) => part({ thinking })),
        ...pieces(content).map((text, i, all) => ({
          ...part({ content: text }),
          ...(logprobs.length ? { logprobs: shareOf(logprobs, i, all.length) } : {}),
        })),
        ...(calls ? [part({ tool_calls: calls })] : []),
        { ...done, message: { role: 'assistant', content: '' } },
      ],
    };
  }
}

function ollamaLogprob(entry: { token: string; logprob: number }): Record<string, unknown> {
  return { ...entry, bytes: [...Buffer.from(entry.token)] };
}

/** The i-th of n consecutive shares of a list, the last taking what is left. */
function shareOf<T>(list: T[], i: number, n: number): T[] {
  const size = Math.ceil(list.length / n);
  return list.slice(i * size, i === n - 1 ? undefined : (i + 1) * size);
}
