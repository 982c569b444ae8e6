/**
 * A local test double for a paid LLM API: a real HTTP server on 127.0.0.1 that speaks the OpenAI
 * chat-completions wire protocol (POST /v1/chat/completions, non-streaming and SSE streaming; GET
 * /v1/models) and answers from a script of steps. Every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  /** An object is sent JSON-encoded; a string is sent as it is — malformed JSON included. */
  arguments: string | Record<string, unknown>;
  id?: string;
}

interface StepExtras {
  /** Wait this long before answering (to exercise client timeouts). */
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Sent only when the request asks for `logprobs`. */
  logprobs?: { token: string; logprob: number }[];
  /** Sent only when the request asks for `return_token_ids` (vLLM's extension). */
  tokenIds?: { prompt: number[]; completion: number[] };
}

export type ScriptStep =
  | ({ type: 'tool_calls'; calls: ScriptedToolCall[]; content?: string } & StepExtras)
  | ({ type: 'text'; content: string; finishReason?: string } & StepExtras)
  /** An HTTP error with the vendor's error body (429 rate limit, 500 server error …). */
  | { type: 'http_error'; status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  /** The step is computed from the request, e.g. to echo what the agent saw. */
  | { type: 'dynamic'; respond: (request: RecordedRequest) => ScriptStep };

/** Shorthands for script steps. */
export const step = {
  toolCall: (
    name: string,
    args: string | Record<string, unknown>,
    extras: StepExtras & { content?: string } = {},
  ): ScriptStep => ({
    type: 'tool_calls',
    calls: [{ name, arguments: args }],
    ...extras,
  }),
  toolCalls: (calls: ScriptedToolCall[], extras: StepExtras & { content?: string } = {}): ScriptStep => ({
    type: 'tool_calls',
    calls,
    ...extras,
  }),
  text: (content: string, extras: StepExtras = {}): ScriptStep => ({ type: 'text', content, ...extras }),
  httpError: (status: number, options: { message?: string; headers?: Record<string, string> } = {}): ScriptStep => ({
    type: 'http_error',
    status,
    ...options,
  }),
  dynamic: (respond: (request: RecordedRequest) => ScriptStep): ScriptStep => ({ type: 'dynamic', respond }),
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined for requests without one. */
  body: Record<string, unknown> | undefined;
}

type Answer = { status: number; headers?: Record<string, string>; json?: unknown; sse?: unknown[] };

/** The HTTP plumbing shared by the wire-protocol doubles: a queue of steps, request recording, delays. */
export abstract class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly steps: ScriptStep[];
  private server?: Server;
  private stepsServed = 0;

  protected constructor(steps: ScriptStep[]) {
    this.steps = [...steps];
  }

  /** Appends steps to the script. */
  push(...steps: ScriptStep[]): void {
    this.steps.push(...steps);
  }

  /** Steps not yet answered. */
  get remaining(): number {
    return this.steps.length;
  }

  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  get origin(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('scripted server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  protected async listen(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', resolve);
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answers a request that is not a scripted model call (model lists, wrong paths, bad auth). */
  protected abstract route(request: RecordedRequest): Answer | undefined;
  protected abstract render(
    step: Exclude<ScriptStep, { type: 'dynamic' | 'http_error' }>,
    request: RecordedRequest,
  ): Answer;
  protected abstract errorBody(status: number, message: string): unknown;

  /** The next step, or an error response saying the script ran out. */
  protected nextAnswer(request: RecordedRequest): { answer: Answer; delayMs?: number } {
    let next = this.steps.shift();
    if (!next) {
      return {
        answer: {
          status: 400,
          json: this.errorBody(
            400,
            `scripted server: the script has no step ${this.stepsServed + 1} (it had ${this.stepsServed})`,
          ),
        },
      };
    }
    this.stepsServed++;
    while (next.type === 'dynamic') next = next.respond(request);
    if (next.type === 'http_error') {
      return {
        answer: {
          status: next.status,
          headers: next.headers,
          json: this.errorBody(next.status, next.message ?? `scripted HTTP ${next.status}`),
        },
        delayMs: next.delayMs,
      };
    }
    return { answer: this.render(next, request), delayMs: next.delayMs };
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(response, { status: 400, json: this.errorBody(400, 'request body is not JSON') });
    }
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: (incoming.url ?? '/').split('?')[0],
      headers: { ...incoming.headers },
      body,
    };
    this.requests.push(request);
    const routed = this.route(request);
    if (routed) return send(response, routed);
    const { answer, delayMs } = this.nextAnswer(request);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!response.destroyed) send(response, answer);
  }
}

function send(response: ServerResponse, answer: Answer): void {
  if (answer.sse) {
    response.writeHead(answer.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...answer.headers,
    });
    for (const event of answer.sse)
      response.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`);
    response.end();
    return;
  }
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(answer.json));
}

/** A rough token count (4 characters a token), so usage figures move with the conversation. */
export function roughTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? '').length / 4);
}

export interface ScriptedOpenAIServerOptions {
  /** The model name served and listed by /v1/models. */
  model?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401 like OpenAI's. */
  apiKey?: string;
}

export class ScriptedOpenAIServer extends ScriptedServer {
  private completionCount = 0;

  private constructor(
    steps: ScriptStep[],
    private readonly options: ScriptedOpenAIServerOptions,
  ) {
    super(steps);
  }

  static async start(
    steps: ScriptStep[] = [],
    options: ScriptedOpenAIServerOptions = {},
  ): Promise<ScriptedOpenAIServer> {
    const server = new ScriptedOpenAIServer(steps, options);
    await server.listen();
    return server;
  }

  /** The base URL an OpenAI client takes, ending in `/v1`. */
  get baseURL(): string {
    return `${this.origin}/v1`;
  }

  /** The recorded chat-completion requests (not model listings). */
  get completionRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/chat/completions');
  }

  protected route(request: RecordedRequest): Answer | undefined {
    if (this.options.apiKey && request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      // Like OpenAI, quote the rejected key back, so tests can check that it never reaches a log.
      const given = request.headers.authorization?.toString().replace(/^Bearer /, '');
      return {
        status: 401,
        json: {
          error: {
            message: `Incorrect API key provided: ${given}.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        },
      };
    }
    if (request.method === 'GET' && request.path === '/v1/models') {
      return {
        status: 200,
        json: { object: 'list', data: [{ id: this.model, object: 'model', created: 0, owned_by: 'scripted' }] },
      };
    }
    if (request.method === 'POST' && request.path === '/v1/chat/completions') return undefined;
    return { status: 404, json: this.errorBody(404, `no route ${request.method} ${request.path}`) };
  }

  protected errorBody(status: number, message: string): unknown {
    const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { message, type, param: null, code: null } };
  }

  protected render(
    scripted: Exclude<ScriptStep, { type: 'dynamic' | 'http_error' }>,
    request: RecordedRequest,
  ): Answer {
    const body = request.body ?? {};
    const index = this.completionCount++;
    const toolCalls =
      scripted.type === 'tool_calls'
        ? scripted.calls.map((call, i) => ({
            id: call.id ?? `call_${index}_${i}`,
            type: 'function',
            function: {
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            },
          }))
        : undefined;
    const content = scripted.content ?? null;
    const finishReason = scripted.type === 'tool_calls' ? 'tool_calls' : (scripted.finishReason ?? 'stop');
    const usage = scripted.usage ?? {
      prompt_tokens: roughTokens(body.messages),
      completion_tokens: roughTokens([content, toolCalls]),
    };
    const logprobs =
      body.logprobs && scripted.logprobs
        ? { content: scripted.logprobs.map((entry) => ({ ...entry, bytes: null, top_logprobs: [] })) }
        : null;
    const id = `chatcmpl-scripted-${index}`;
    const model = typeof body.model === 'string' ? body.model : this.model;
    if (body.stream)
      return { status: 200, sse: this.streamChunks(id, model, content, toolCalls, finishReason, usage, body) };
    return {
      status: 200,
      json: {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
            logprobs,
            finish_reason: finishReason,
            ...(body.return_token_ids && scripted.tokenIds ? { token_ids: scripted.tokenIds.completion } : {}),
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        ...(body.return_token_ids && scripted.tokenIds ? { prompt_token_ids: scripted.tokenIds.prompt } : {}),
      },
    };
  }

  /** The same answer as `chat.completion.chunk` events: role, content pieces, tool-call pieces, finish, usage. */
  private streamChunks(
    id: string,
    model: string,
    content: string | null,
    toolCalls: { id: string; type: string; function: { name: string; arguments: string } }[] | undefined,
    finishReason: string,
    usage: { prompt_tokens: number; completion_tokens: number },
    body: Record<string, unknown>,
  ): unknown[] {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created: 0,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const events: unknown[] = [chunk({ role: 'assistant', content: '' })];
    for (const piece of (content ?? '').match(/.{1,8}/gs) ?? []) events.push(chunk({ content: piece }));
    toolCalls?.forEach((call, index) => {
      events.push(
        chunk({
          tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
        }),
      );
      for (const piece of call.function.arguments.match(/.{1,8}/gs) ?? [])
        events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    events.push(chunk({}, finishReason));
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      events.push({
        id,
        object: 'chat.completion.chunk',
        created: 0,
        model,
        choices: [],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    }
    events.push('[DONE]');
    return events;
  }

  private get model(): string {
    return this.options.model ?? 'scripted-model';
  }
}
