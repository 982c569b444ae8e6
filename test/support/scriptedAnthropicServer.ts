/**
 * A test double for Anthropic's Messages API (POST /v1/messages), answering from the same script steps as the
 * OpenAI double, as Anthropic documents it:
 * - tool_use / tool_result blocks; `stop_reason` tool_use, end_turn or max_tokens;
 * - SSE with named events: message_start, content_block_start / _delta (text_delta, thinking_delta,
 *   signature_delta, input_json_delta) / _stop, ping, message_delta (stop_reason, output_tokens), message_stop;
 * - extended thinking (`thinking: {type: "enabled", budget_tokens}`): thinking blocks with a `signature`;
 *   with tools, the last assistant message must come back starting with its thinking block, signature intact,
 *   else 400; `temperature` other than 1 is refused with thinking on;
 * - prompt caching: at most 4 `cache_control` blocks (else 400); the prefix up to each breakpoint (tools, then
 *   system, then messages) is written to the cache when it is at least 1024 tokens, and a later request that
 *   repeats a written prefix reads it; usage splits `input_tokens`, `cache_creation_input_tokens` and
 *   `cache_read_input_tokens`;
 * - a prompt past the context window: 400 "prompt is too long: N tokens > M maximum";
 * - errors `{"type": "error", "error": {"type", "message"}}`; 429 `rate_limit_error`; 529 `overloaded_error`.
 */
import { createHash } from 'node:crypto';
import {
  pieces,
  ScriptedServer,
  type Answer,
  type RecordedRequest,
  type RenderableStep,
  type ScriptStep,
} from './scriptedServer';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/** The smallest prefix Anthropic caches for Sonnet and Opus models. */
const MIN_CACHEABLE_TOKENS = 1024;

export interface ScriptedAnthropicServerOptions {
  /** With `apiKey`, requests that do not carry that key get a 401 like Anthropic's. */
  apiKey?: string;
  /** The model's context window (default 200000). */
  contextWindow?: number;
  respond?: (request: RecordedRequest) => ScriptStep;
}

type Block = Record<string, unknown> & { type: string };

export class ScriptedAnthropicServer extends ScriptedServer {
  private messageCount = 0;
  /** Prefixes written to the cache: their hash and size in tokens. */
  private readonly cache = new Map<string, number>();

  constructor(
    steps: ScriptStep[],
    private readonly options: ScriptedAnthropicServerOptions = {},
  ) {
    super(steps, options.respond);
  }

  /** The base URL the Anthropic SDK takes (without `/v1`). */
  get baseURL(): string {
    return this.origin;
  }

  /** The signature this server gives a thinking text, and checks when it comes back. */
  static signature(thinking: string): string {
    return createHash('sha256').update(`scripted:${thinking}`).digest('base64');
  }

  protected route(request: RecordedRequest): Answer | undefined {
    // Anthropic takes the key as `x-api-key` or, as SDK 1.x sends it, `Authorization: Bearer`.
    const given = request.headers['x-api-key'] ?? request.headers.authorization?.toString().replace(/^Bearer /, '');
    if (this.options.apiKey && given !== this.options.apiKey) return this.errorAnswer(401, 'invalid x-api-key');
    if (!request.headers['anthropic-version']) return this.errorAnswer(400, 'anthropic-version header is required');
    if (request.method === 'POST' && request.path === '/v1/messages') return this.refuse(request.body ?? {});
    return this.errorAnswer(404, `no route ${request.method} ${request.path}`);
  }

  private refuse(body: Record<string, unknown>): Answer | undefined {
    const thinking = (body.thinking as { type?: string } | undefined)?.type === 'enabled';
    if (thinking && body.temperature !== undefined && body.temperature !== 1)
      return this.errorAnswer(400, '`temperature` may only be set to 1 when thinking is enabled.');
    const marked = this.cacheBreakpoints(body).length;
    if (marked > 4)
      return this.errorAnswer(400, `A maximum of 4 blocks with cache_control may be provided. Found ${marked}.`);
    const messages = (body.messages ?? []) as { role: string; content: string | Block[] }[];
    for (const [index, message] of messages.entries()) {
      if (message.role !== 'assistant' || typeof message.content === 'string') continue;
      for (const [position, block] of message.content.entries())
        if (block.type === 'thinking' && block.signature !== ScriptedAnthropicServer.signature(String(block.thinking)))
          return this.errorAnswer(
            400,
            `messages.${index}.content.${position}: Invalid \`signature\` in \`thinking\` block`,
          );
    }
    const lastAssistant = messages
      .map((message, index) => ({ message, index }))
      .filter(({ message }) => message.role === 'assistant')
      .at(-1);
    if (thinking && lastAssistant && typeof lastAssistant.message.content !== 'string') {
      const blocks = lastAssistant.message.content;
      if (
        blocks.some((block) => block.type === 'tool_use') &&
        blocks[0]?.type !== 'thinking' &&
        blocks[0]?.type !== 'redacted_thinking'
      )
        return this.errorAnswer(
          400,
          `messages.${lastAssistant.index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blocks[0]?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`.`,
        );
    }
    const window = this.options.contextWindow ?? 200_000;
    const total = tokensOf(body.tools) + tokensOf(body.system) + tokensOf(body.messages);
    if (total > window) return this.errorAnswer(400, `prompt is too long: ${total} tokens > ${window} maximum`);
    return undefined;
  }

  protected errorAnswer(status: number, message: string): Answer {
    return {
      status,
      json: {
        type: 'error',
        error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
      },
    };
  }

  /** The prompt in cache order (tools, system, messages) as blocks, each with its size and breakpoint mark. */
  private promptBlocks(body: Record<string, unknown>): { text: string; tokens: number; breakpoint: boolean }[] {
    const blocks: { text: string; tokens: number; breakpoint: boolean }[] = [];
    const add = (value: unknown) => {
      const marked = typeof value === 'object' && value !== null && 'cache_control' in value;
      blocks.push({ text: JSON.stringify(value), tokens: tokensOf(value), breakpoint: marked });
    };
    for (const tool of (body.tools ?? []) as unknown[]) add(tool);
    if (typeof body.system === 'string') add({ type: 'text', text: body.system });
    else for (const block of (body.system ?? []) as unknown[]) add(block);
    for (const message of (body.messages ?? []) as { role: string; content: string | Block[] }[]) {
      if (typeof message.content === 'string') add({ role: message.role, text: message.content });
      else for (const block of message.content) add({ role: message.role, ...block });
    }
    return blocks;
  }

  private cacheBreakpoints(body: Record<string, unknown>): number[] {
    return this.promptBlocks(body).flatMap((block, index) => (block.breakpoint ? [index] : []));
  }

  /** Reads the longest cached prefix, writes the prefixes up to each breakpoint, and splits the input tokens. */
  private cacheUsage(body: Record<string, unknown>): { input: number; read: number; written: number } {
    const blocks = this.promptBlocks(body);
    const total = blocks.reduce((sum, block) => sum + block.tokens, 0);
    const hash = createHash('sha256');
    let prefixTokens = 0;
    let read = 0;
    let lastBreakpointTokens = 0;
    const toWrite: [string, number][] = [];
    for (const block of blocks) {
      hash.update(block.text);
      prefixTokens += block.tokens;
      if (!block.breakpoint) continue;
      const key = hash.copy().digest('hex');
      if (this.cache.has(key)) read = prefixTokens;
      else if (prefixTokens >= MIN_CACHEABLE_TOKENS) toWrite.push([key, prefixTokens]);
      lastBreakpointTokens = prefixTokens;
    }
    for (const [key, tokens] of toWrite) this.cache.set(key, tokens);
    const written = toWrite.length ? Math.max(0, lastBreakpointTokens - read) : 0;
    return { input: total - read - written, read, written };
  }

  protected render(scripted: RenderableStep, request: RecordedRequest): Answer {
    const body = request.body ?? {};
    const index = this.messageCount++;
    const thinkingOn = (body.thinking as { type?: string } | undefined)?.type === 'enabled';
    const content: Block[] = [];
    if (thinkingOn && scripted.reasoning)
      content.push({
        type: 'thinking',
        thinking: scripted.reasoning,
        signature: ScriptedAnthropicServer.signature(scripted.reasoning),
      });
    if (scripted.content) content.push({ type: 'text', text: scripted.content });
    if (scripted.type === 'tool_calls') {
      scripted.calls.forEach((call, i) => {
        // The Messages API carries tool input as an object, so a malformed-JSON step cannot be expressed here.
        const input = typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments;
        content.push({ type: 'tool_use', id: call.id ?? `toolu_${index}_${i}`, name: call.name, input });
      });
    }
    const cache = this.cacheUsage(body);
    const outputTokens = scripted.usage?.completion_tokens ?? tokensOf(content);
    const usage = {
      input_tokens: scripted.usage?.prompt_tokens ?? cache.input,
      cache_creation_input_tokens: scripted.usage ? 0 : cache.written,
      cache_read_input_tokens: scripted.usage ? 0 : cache.read,
      output_tokens: outputTokens,
      service_tier: 'standard',
    };
    const message = {
      id: `msg_scripted_${index}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: scripted.finishReason ?? (scripted.type === 'tool_calls' ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage,
    };
    if (!body.stream) return { status: 200, json: message };
    return { status: 200, sse: streamEvents(message, content) };
  }
}

/** The message as Anthropic's stream sends it. */
function streamEvents(
  message: Record<string, unknown> & { usage: Record<string, unknown> },
  content: Block[],
): unknown[] {
  const events: unknown[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  const delta = (index: number, value: Record<string, unknown>) => ({
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index, delta: value },
  });
  content.forEach((block, index) => {
    const start =
      block.type === 'thinking'
        ? { type: 'thinking', thinking: '', signature: '' }
        : block.type === 'text'
          ? { type: 'text', text: '' }
          : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: start } });
    if (block.type === 'thinking') {
      for (const piece of pieces(String(block.thinking)))
        events.push(delta(index, { type: 'thinking_delta', thinking: piece }));
      events.push(delta(index, { type: 'signature_delta', signature: block.signature }));
    } else if (block.type === 'text') {
      for (const piece of pieces(String(block.text))) events.push(delta(index, { type: 'text_delta', text: piece }));
    } else {
      for (const piece of pieces(JSON.stringify(block.input)))
        events.push(delta(index, { type: 'input_json_delta', partial_json: piece }));
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

function tokensOf(value: unknown): number {
  return value === undefined ? 0 : Math.ceil(JSON.stringify(value).length / 4);
}
