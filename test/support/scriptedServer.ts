/**
 * The HTTP plumbing of the model-server test doubles: a real HTTP server on 127.0.0.1 that answers model
 * calls from a script of steps (or a function when the script runs out), records every request, and sends
 * JSON, SSE (with or without event names) or NDJSON. Each family's wire format lives in its own file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  /** An object is sent JSON-encoded; a string is sent as it is — malformed JSON included. */
  arguments: string | Record<string, unknown>;
  id?: string;
}

export interface StepExtras {
  /** Wait this long before answering (to exercise client timeouts). */
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Sent only when the request asks for `logprobs`. */
  logprobs?: { token: string; logprob: number }[];
  /** Sent only when the request asks for `return_token_ids` (vLLM's extension). */
  tokenIds?: { prompt: number[]; completion: number[] };
  /** The model's reasoning, in the field (or thinking block) the family uses. */
  reasoning?: string;
  /** Why generation stopped, overriding the family's usual (`length` for a reply cut at max_tokens). */
  finishReason?: string;
}

export type ScriptStep =
  | ({ type: 'tool_calls'; calls: ScriptedToolCall[]; content?: string } & StepExtras)
  | ({ type: 'text'; content: string } & StepExtras)
  /** An HTTP error with the vendor's error body (429 rate limit, 500 server error …). */
  | {
      type: 'http_error';
      status: number;
      message?: string;
      headers?: Record<string, string>;
      delayMs?: number;
      /** A vendor error code (OpenAI's `insufficient_quota`, …). */
      code?: string;
    }
  /** The connection is cut before any answer (a reset). */
  | { type: 'reset' }
  /** Never answered: the request is held open until the client drops it (a process killed or cancelled while it waits). */
  | { type: 'hold' }
  /** The step is computed from the request, e.g. to echo what the agent saw. */
  | { type: 'dynamic'; respond: (request: RecordedRequest) => ScriptStep };

/** Shorthands for script steps. */
export const step = {
  toolCall: (
    name: string,
    args: string | Record<string, unknown>,
    extras: StepExtras & { content?: string } = {},
  ): ScriptStep => ({ type: 'tool_calls', calls: [{ name, arguments: args }], ...extras }),
  toolCalls: (calls: ScriptedToolCall[], extras: StepExtras & { content?: string } = {}): ScriptStep => ({
    type: 'tool_calls',
    calls,
    ...extras,
  }),
  text: (content: string, extras: StepExtras = {}): ScriptStep => ({ type: 'text', content, ...extras }),
  httpError: (
    status: number,
    options: { message?: string; headers?: Record<string, string>; code?: string } = {},
  ): ScriptStep => ({ type: 'http_error', status, ...options }),
  reset: (): ScriptStep => ({ type: 'reset' }),
  hold: (): ScriptStep => ({ type: 'hold' }),
  dynamic: (respond: (request: RecordedRequest) => ScriptStep): ScriptStep => ({ type: 'dynamic', respond }),
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined for requests without one. */
  body: Record<string, unknown> | undefined;
}

export type RenderableStep = Extract<ScriptStep, { type: 'tool_calls' | 'text' }>;

/** One SSE event: `data:` only, or with an `event:` name (Anthropic's stream names every event). */
export type SseEvent = unknown | { event: string; data: unknown };

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  sse?: SseEvent[];
  /** Newline-delimited JSON (Ollama's stream). */
  ndjson?: unknown[];
}

export abstract class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly steps: ScriptStep[];
  private server?: Server;
  private stepsServed = 0;

  /** A double of the class this is called on, listening on a free loopback port. */
  static async start<Server extends ScriptedServer, Options>(
    this: new (steps: ScriptStep[], options: Options) => Server,
    steps: ScriptStep[] = [],
    options?: Options,
  ): Promise<Server> {
    const server = new this(steps, options as Options);
    await server.listen();
    return server;
  }

  protected constructor(
    steps: ScriptStep[],
    /** Answers when the script has run out (a long run's policy). */
    private readonly respond?: (request: RecordedRequest) => ScriptStep,
  ) {
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

  /** Answers a request that is not a scripted model call (model lists, refusals, wrong paths, bad auth). */
  protected abstract route(request: RecordedRequest): Answer | undefined;
  protected abstract render(step: RenderableStep, request: RecordedRequest): Answer;
  protected abstract errorAnswer(status: number, message: string, code?: string): Answer;

  /**
   * A scripted HTTP error: the family's own error, unless it passes on another server's (a gateway's provider) or
   * sends it inside the stream `request` asked for.
   */
  protected scriptedErrorAnswer(status: number, message: string, code?: string, _request?: RecordedRequest): Answer {
    return this.errorAnswer(status, message, code);
  }

  /** The next step, or an error response saying the script ran out. */
  protected nextStep(request: RecordedRequest): ScriptStep | undefined {
    let next = this.steps.shift() ?? this.respond?.(request);
    if (!next) return undefined;
    this.stepsServed++;
    while (next.type === 'dynamic') next = next.respond(request);
    return next;
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(response, this.errorAnswer(400, 'request body is not JSON'));
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
    const next = this.nextStep(request);
    if (!next)
      return send(
        response,
        this.errorAnswer(
          400,
          `scripted server: the script has no step ${this.stepsServed + 1} (it had ${this.stepsServed})`,
        ),
      );
    if (next.type === 'reset') {
      response.socket?.destroy();
      return;
    }
    if (next.type === 'hold') return;
    if ('delayMs' in next && next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    if (response.destroyed) return;
    if (next.type === 'http_error') {
      const message = next.message ?? `scripted HTTP ${next.status}`;
      const answer = this.scriptedErrorAnswer(next.status, message, next.code, request);
      return send(response, { ...answer, headers: { ...answer.headers, ...next.headers } });
    }
    send(response, this.render(next as RenderableStep, request));
  }
}

function send(response: ServerResponse, answer: Answer): void {
  if (answer.sse) {
    response.writeHead(answer.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...answer.headers,
    });
    for (const event of answer.sse) {
      const named = event as { event?: unknown; data?: unknown };
      if (typeof named === 'object' && named !== null && typeof named.event === 'string')
        response.write(`event: ${named.event}\ndata: ${JSON.stringify(named.data)}\n\n`);
      else response.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`);
    }
    response.end();
    return;
  }
  if (answer.ndjson) {
    response.writeHead(answer.status, { 'content-type': 'application/x-ndjson', ...answer.headers });
    for (const line of answer.ndjson) response.write(`${JSON.stringify(line)}\n`);
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

/**
 * What a server's tokenizer would count for a chat request: the messages' text and tool calls with a few
 * tokens of template around each, and the tool definitions — 4 characters a token.
 */
export function promptTokens(body: Record<string, unknown> | undefined): number {
  const messages = (body?.messages ?? []) as { content?: unknown; tool_calls?: unknown }[];
  let chars = JSON.stringify(body?.tools ?? []).length;
  for (const message of messages) {
    chars +=
      12 +
      (typeof message.content === 'string' ? message.content.length : JSON.stringify(message.content ?? '').length);
    if (message.tool_calls) chars += JSON.stringify(message.tool_calls).length;
  }
  return Math.ceil(chars / 4);
}

/** Text cut into the pieces a stream sends: a few characters each, at most about 256 pieces. */
export function pieces(text: string | null | undefined): string[] {
  const value = text ?? '';
  const size = Math.max(8, Math.ceil(value.length / 256));
  const result: string[] = [];
  for (let at = 0; at < value.length; at += size) result.push(value.slice(at, at + size));
  return result;
}
