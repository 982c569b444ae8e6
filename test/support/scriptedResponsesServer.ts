/**
 * A test double for OpenAI's Responses API (POST /v1/responses), answering from the same script steps as the
 * chat-completions double, as OpenAI documents it:
 * - a Response object whose `output` lists a `reasoning` item, a `message` item with `output_text`, then one
 *   `function_call` item per call (`call_id`, `arguments` as a string); `status` incomplete with
 *   `incomplete_details.reason` max_output_tokens for a reply cut at the limit;
 * - usage `input_tokens` (with `input_tokens_details.cached_tokens`: automatic prompt caching, prompts of 1024
 *   tokens or more, the prefix shared with the last request in 128-token steps), `output_tokens` (with
 *   `output_tokens_details.reasoning_tokens`) and `total_tokens`;
 * - SSE with named events, each with its `sequence_number`: response.created, response.in_progress, then per
 *   item response.output_item.added, its content (content_part / output_text, reasoning_summary_part /
 *   reasoning_summary_text, function_call_arguments: .added/.delta/.done), response.output_item.done; and
 *   response.completed, or response.incomplete;
 * - a reasoning model's reasoning: no summary unless `reasoning.summary` asks for one, `encrypted_content` only
 *   when `include` names reasoning.encrypted_content; a reasoning item sent back is looked up by its id, or
 *   (required under `store: false`) read from its encrypted content, refused altered; `temperature` and `top_p`
 *   refused; another model refuses `reasoning.effort`, `reasoning.summary` and encrypted reasoning in `include`;
 * - flat function tools whose `strict` defaults to true, so their schema must be strict;
 * - refusals with OpenAI's words: chat-completions parameters, a chat-completions tool, a function_call_output
 *   without its call, an unknown input item, a prompt past the context window, a wrong key (401);
 * - errors `{"error": {"message", "type", "param", "code"}}`; 429 type `requests`, code `rate_limit_exceeded`; a
 *   server failure in a stream as `response.failed` after the 200, with the response's `error`.
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
import { OpenAIPromptCache } from './scriptedOpenAIServer';

export interface ScriptedResponsesServerOptions {
  /** The model name served and listed by /v1/models (default `scripted-model`). */
  model?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401 like OpenAI's. */
  apiKey?: string;
  /** An o-series or gpt-5 style model: it answers with reasoning items and refuses sampling parameters. */
  reasoningModel?: boolean;
  /** The model's context window in tokens; a longer prompt is refused. */
  contextWindow?: number;
  /** Answers when the script runs out. */
  respond?: (request: RecordedRequest) => ScriptStep;
}

/** Chat-completions parameters the Responses API does not take (it has `input`, `max_output_tokens` …). */
const CHAT_COMPLETIONS_PARAMETERS = [
  'messages',
  'stop',
  'seed',
  'max_tokens',
  'max_completion_tokens',
  'logprobs',
  'stream_options',
  'n',
];

const SAMPLING_PARAMETERS = ['temperature', 'top_p'];

const MESSAGE_ROLES = ['assistant', 'system', 'developer', 'user'];

/** The input item types this double plays (OpenAI's list is longer: built-in tools have items of their own). */
const INPUT_ITEM_TYPES = ['message', 'function_call', 'function_call_output', 'reasoning'];

/** Why generation stopped, in chat-completions words, as the Responses API reports an incomplete response. */
const INCOMPLETE_REASONS: Record<string, string> = { length: 'max_output_tokens', content_filter: 'content_filter' };

type Item = Record<string, unknown> & { type: string };
type Schema = {
  type?: unknown;
  properties?: Record<string, Schema>;
  required?: unknown;
  additionalProperties?: unknown;
  items?: Schema;
  anyOf?: Schema[];
  $defs?: Record<string, Schema>;
};
type ResponseBody = Record<string, unknown> & { id: string; status: string; output: Item[] };

export class ScriptedResponsesServer extends ScriptedServer {
  private responseCount = 0;
  private readonly promptCache = new OpenAIPromptCache();
  /** The reasoning items this server gave out: their id and text, to look them up when they come back. */
  private readonly issuedReasoning = new Map<string, string>();

  constructor(
    steps: ScriptStep[],
    private readonly options: ScriptedResponsesServerOptions = {},
  ) {
    super(steps, options.respond);
  }

  /** The base URL an OpenAI client takes, ending in `/v1`. */
  get baseURL(): string {
    return `${this.origin}/v1`;
  }

  /** The recorded Responses API calls (not model listings). */
  get responseRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/responses');
  }

  private get model(): string {
    return this.options.model ?? 'scripted-model';
  }

  /**
   * The `encrypted_content` this server gives a reasoning item: the reasoning and a seal over it and the item's id,
   * which any instance checks when the item comes back (as OpenAI decrypts it with its own key, in any later
   * request, a resumed run's included).
   */
  static encryptedContent(id: string, reasoning: string): string {
    return `${Buffer.from(reasoning).toString('base64')}.${seal(id, reasoning)}`;
  }

  protected route(request: RecordedRequest): Answer | undefined {
    if (this.options.apiKey && request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      // Like OpenAI, quote the rejected key back, so tests can check that it never reaches a log.
      const given = request.headers.authorization?.toString().replace(/^Bearer /, '');
      return this.errorAnswer(401, `Incorrect API key provided: ${given}.`, 'invalid_api_key');
    }
    if (request.method === 'GET' && request.path === '/v1/models')
      return {
        status: 200,
        json: {
          object: 'list',
          data: [{ id: this.model, object: 'model', created: 1_700_000_000, owned_by: 'system' }],
        },
      };
    if (request.method === 'POST' && request.path === '/v1/responses') return this.refuse(request.body ?? {});
    return this.errorAnswer(404, `Invalid URL (${request.method} ${request.path})`);
  }

  /** A request OpenAI refuses before generating, checked in the order its validation runs. */
  private refuse(body: Record<string, unknown>): Answer | undefined {
    return (
      this.unknownParameter(body) ??
      this.unsupportedParameter(body) ??
      this.encryptedContentUnsupported(body) ??
      this.invalidTool(body) ??
      this.invalidInput(body) ??
      this.overflow(body)
    );
  }

  private unknownParameter(body: Record<string, unknown>): Answer | undefined {
    const name = Object.keys(body).find((key) => CHAT_COMPLETIONS_PARAMETERS.includes(key));
    return name ? this.errorAnswer(400, `Unknown parameter: '${name}'.`, 'unknown_parameter', name) : undefined;
  }

  /** Sampling on a reasoning model, reasoning settings on another. */
  private unsupportedParameter(body: Record<string, unknown>): Answer | undefined {
    const reasoning = (body.reasoning ?? {}) as Record<string, unknown>;
    const name = this.options.reasoningModel
      ? SAMPLING_PARAMETERS.find((key) => body[key] !== undefined && body[key] !== null)
      : ['effort', 'summary'].filter((key) => reasoning[key] != null).map((key) => `reasoning.${key}`)[0];
    if (!name) return undefined;
    const message = `Unsupported parameter: '${name}' is not supported with this model.`;
    return this.errorAnswer(400, message, 'unsupported_parameter', name);
  }

  /** Encrypted reasoning asked of a model that does not reason, in the words OpenHands/software-agent-sdk#1208 quotes. */
  private encryptedContentUnsupported(body: Record<string, unknown>): Answer | undefined {
    const asked = ((body.include ?? []) as string[]).includes('reasoning.encrypted_content');
    if (this.options.reasoningModel || !asked) return undefined;
    return this.errorAnswer(400, 'Encrypted content is not supported with this model.', undefined, 'include');
  }

  private invalidTool(body: Record<string, unknown>): Answer | undefined {
    for (const [index, tool] of ((body.tools ?? []) as Record<string, unknown>[]).entries()) {
      if (tool.type !== 'function') continue;
      if (typeof tool.name !== 'string') {
        // A chat-completions tool nests its name under `function`, where the Responses API does not look.
        const param = `tools[${index}].name`;
        return this.errorAnswer(400, `Missing required parameter: '${param}'.`, 'missing_required_parameter', param);
      }
      const fault = tool.strict === false ? undefined : strictSchemaFault((tool.parameters ?? {}) as Schema);
      if (fault)
        return this.errorAnswer(
          400,
          `Invalid schema for function '${tool.name}': ${fault}`,
          'invalid_function_parameters',
          `tools[${index}].parameters`,
        );
    }
    return undefined;
  }

  private invalidInput(body: Record<string, unknown>): Answer | undefined {
    if (typeof body.input === 'string') return undefined;
    const callIds = new Set<string>();
    for (const [index, item] of ((body.input ?? []) as Record<string, unknown>[]).entries()) {
      const type = item.type ?? 'message';
      if (type === 'message' && !MESSAGE_ROLES.includes(String(item.role)))
        return this.errorAnswer(
          400,
          `Invalid value: '${item.role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
          'invalid_value',
          `input[${index}].role`,
        );
      if (type === 'function_call') callIds.add(String(item.call_id));
      if (type === 'function_call_output' && !callIds.has(String(item.call_id)))
        return this.errorAnswer(
          400,
          `No tool call found for function call output with call_id ${item.call_id}.`,
          undefined,
          'input',
        );
      if (type === 'reasoning') {
        const refusal = this.unverifiedReasoning(item, body.store !== false);
        if (refusal) return refusal;
      }
      if (!INPUT_ITEM_TYPES.includes(String(type)))
        return this.errorAnswer(
          400,
          `Invalid value: '${type}'. Supported values are: ${INPUT_ITEM_TYPES.map((each) => `'${each}'`).join(', ')}.`,
          'invalid_value',
          `input[${index}].type`,
        );
    }
    return undefined;
  }

  /** A reasoning item sent back: looked up by id when stored, else read from its encrypted content. */
  private unverifiedReasoning(item: Record<string, unknown>, stored: boolean): Answer | undefined {
    const id = String(item.id);
    if (item.encrypted_content === undefined || item.encrypted_content === null) {
      if (stored && this.issuedReasoning.has(id)) return undefined;
      const notPersisted = stored
        ? ''
        : ' Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.';
      return this.errorAnswer(404, `Item with id '${id}' not found.${notPersisted}`, undefined, 'input');
    }
    const [sealed, sealOf] = String(item.encrypted_content).split('.');
    const reasoning = Buffer.from(sealed ?? '', 'base64').toString();
    if (sealOf === seal(id, reasoning)) return undefined;
    return this.errorAnswer(
      400,
      `The encrypted content for item ${id} could not be verified.`,
      'invalid_encrypted_content',
    );
  }

  private overflow(body: Record<string, unknown>): Answer | undefined {
    const window = this.options.contextWindow;
    if (!window || promptTokens(body) <= window) return undefined;
    return this.errorAnswer(
      400,
      'Your input exceeds the context window of this model. Please adjust your input and try again.',
      'context_length_exceeded',
      'input',
    );
  }

  protected errorAnswer(status: number, message: string, code?: string, param: string | null = null): Answer {
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
      json: { error: { message, type, param, code: code ?? (status === 429 ? 'rate_limit_exceeded' : null) } },
    };
  }

  /**
   * A scripted server failure asked for as a stream fails inside it, after its 200, as OpenAI's do: the response
   * opens, then `response.failed` carries it with its `error`.
   */
  protected scriptedErrorAnswer(status: number, message: string, code?: string, request?: RecordedRequest): Answer {
    if (status < 500 || !request?.body?.stream) return this.errorAnswer(status, message, code);
    const response = {
      id: `resp_scripted_${this.responseCount++}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'in_progress',
      error: null,
      incomplete_details: null,
      model: request.body.model,
      output: [],
      usage: null,
    };
    const failed = { ...response, status: 'failed', error: { code: code ?? 'server_error', message } };
    const events = [
      ['response.created', { response }],
      ['response.in_progress', { response }],
      ['response.failed', { response: failed }],
    ] as const;
    const sse = events.map(([type, fields], at) => ({ event: type, data: { type, sequence_number: at, ...fields } }));
    return { status: 200, sse };
  }

  protected render(scripted: RenderableStep, request: RecordedRequest): Answer {
    const body = request.body ?? {};
    const index = this.responseCount++;
    const output = this.outputItems(scripted, body, index);
    const incompleteReason = scripted.finishReason ? INCOMPLETE_REASONS[scripted.finishReason] : undefined;
    // A reply cut short is cut in its last item.
    const last = output.at(-1);
    if (incompleteReason && last && last.type !== 'reasoning') last.status = 'incomplete';
    const response: ResponseBody = {
      id: `resp_scripted_${index}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: incompleteReason ? 'incomplete' : 'completed',
      error: null,
      incomplete_details: incompleteReason ? { reason: incompleteReason } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      metadata: body.metadata ?? {},
      model: typeof body.model === 'string' ? body.model : this.model,
      output,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      reasoning: this.reasoningSettings(body),
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: body.text ?? { format: { type: 'text' } },
      tool_choice: body.tool_choice ?? 'auto',
      tools: ((body.tools ?? []) as Record<string, unknown>[]).map((tool) => ({
        ...tool,
        strict: tool.strict ?? true,
      })),
      top_p: body.top_p ?? 1,
      truncation: body.truncation ?? 'disabled',
      usage: this.usage(scripted, body, output),
    };
    return body.stream ? { status: 200, sse: streamEvents(response) } : { status: 200, json: response };
  }

  /** The reasoning item (a reasoning model's only), the message, then the calls: the order OpenAI sends them. */
  private outputItems(scripted: RenderableStep, body: Record<string, unknown>, index: number): Item[] {
    const items: Item[] = [];
    if (this.options.reasoningModel && scripted.reasoning)
      items.push(this.reasoningItem(`rs_scripted_${index}`, scripted.reasoning, body));
    if (scripted.content)
      items.push({
        id: `msg_scripted_${index}`,
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: scripted.content, annotations: [], logprobs: [] }],
      });
    if (scripted.type === 'tool_calls')
      scripted.calls.forEach((call, i) =>
        items.push({
          id: `fc_scripted_${index}_${i}`,
          type: 'function_call',
          status: 'completed',
          call_id: call.id ?? `call_${index}_${i}`,
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        }),
      );
    return items;
  }

  private reasoningItem(id: string, reasoning: string, body: Record<string, unknown>): Item {
    this.issuedReasoning.set(id, reasoning);
    // OpenAI summarizes reasoning only when asked, and gives the encrypted reasoning only when included.
    const summary = (body.reasoning as { summary?: string } | undefined)?.summary;
    const summarized = summary === 'auto' || summary === 'concise' || summary === 'detailed';
    const encrypted = ((body.include ?? []) as string[]).includes('reasoning.encrypted_content');
    return {
      id,
      type: 'reasoning',
      summary: summarized ? [{ type: 'summary_text', text: reasoning }] : [],
      ...(encrypted ? { encrypted_content: ScriptedResponsesServer.encryptedContent(id, reasoning) } : {}),
    };
  }

  private reasoningSettings(body: Record<string, unknown>): Record<string, unknown> {
    if (!this.options.reasoningModel) return { effort: null, summary: null };
    const asked = (body.reasoning ?? {}) as { effort?: string; summary?: string };
    return { effort: asked.effort ?? 'medium', summary: asked.summary ?? null };
  }

  private usage(scripted: RenderableStep, body: Record<string, unknown>, output: Item[]): Record<string, unknown> {
    const reasoning = output.find((item) => item.type === 'reasoning') ? (scripted.reasoning ?? '') : '';
    const reasoningTokens = Math.ceil(reasoning.length / 4);
    const visible = output.map((item) => (item.type === 'function_call' ? item.arguments : '')).join('');
    const inputTokens = scripted.usage?.prompt_tokens ?? promptTokens(body);
    // Reasoning tokens are output tokens the reply does not show.
    const outputTokens =
      scripted.usage?.completion_tokens ?? reasoningTokens + Math.ceil(((scripted.content ?? '') + visible).length / 4);
    return {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: this.promptCache.cachedTokens(promptText(body), inputTokens) },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: reasoningTokens },
      total_tokens: inputTokens + outputTokens,
    };
  }
}

/** The prompt in OpenAI's cache order: tools, instructions, then the input items. */
function promptText(body: Record<string, unknown>): string {
  return JSON.stringify([body.tools ?? [], body.instructions ?? null, body.input ?? '']);
}

/** A rough token count of the prompt, 4 characters a token. */
function promptTokens(body: Record<string, unknown>): number {
  return Math.ceil(promptText(body).length / 4);
}

/** Why a function's schema is not strict, in OpenAI's words, or undefined when it is. */
function strictSchemaFault(schema: Schema, context: string[] = []): string | undefined {
  const where = `In context=${pythonTuple(context)}`;
  if (schema.type === 'object' || schema.properties) {
    if (schema.additionalProperties !== false)
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(schema.properties ?? {}).find((key) => !required.includes(key));
    if (missing !== undefined)
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
  }
  const children: [Schema, string[]][] = [
    ...Object.entries(schema.properties ?? {}).map(([key, child]): [Schema, string[]] => [child, ['properties', key]]),
    ...(schema.items ? [[schema.items, ['items']] as [Schema, string[]]] : []),
    ...(schema.anyOf ?? []).map((child, i): [Schema, string[]] => [child, ['anyOf', String(i)]]),
    ...Object.entries(schema.$defs ?? {}).map(([key, child]): [Schema, string[]] => [child, ['$defs', key]]),
  ];
  for (const [child, path] of children) {
    const fault = strictSchemaFault(child, [...context, ...path]);
    if (fault) return fault;
  }
  return undefined;
}

/** A path as OpenAI's (Python) validator prints it: `()`, `('items',)`, `('properties', 'path')`. */
function pythonTuple(path: string[]): string {
  const quoted = path.map((key) => `'${key}'`);
  return quoted.length === 1 ? `(${quoted[0]},)` : `(${quoted.join(', ')})`;
}

type Emit = (type: string, fields: Record<string, unknown>) => void;
type ItemPosition = { item_id: unknown; output_index: number };

/** The response as OpenAI's stream sends it: each item opened empty, filled in pieces, then closed whole. */
function streamEvents(response: ResponseBody): { event: string; data: Record<string, unknown> }[] {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const emit: Emit = (type, fields) =>
    events.push({ event: type, data: { type, sequence_number: events.length, ...fields } });
  const opening = { ...response, status: 'in_progress', incomplete_details: null, output: [], usage: null };
  emit('response.created', { response: opening });
  emit('response.in_progress', { response: opening });
  response.output.forEach((item, outputIndex) => {
    emit('response.output_item.added', { output_index: outputIndex, item: openedItem(item) });
    const at = { item_id: item.id, output_index: outputIndex };
    if (item.type === 'reasoning') emitSummary(item, at, emit);
    else if (item.type === 'message') emitText(item, at, emit);
    else emitArguments(item, at, emit);
    emit('response.output_item.done', { output_index: outputIndex, item });
  });
  emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  return events;
}

/** An item as the stream opens it: in progress, before any of its text or arguments. */
function openedItem(item: Item): Item {
  if (item.type === 'reasoning') return { ...item, summary: [] };
  if (item.type === 'message') return { ...item, status: 'in_progress', content: [] };
  return { ...item, status: 'in_progress', arguments: '' };
}

function emitSummary(item: Item, at: ItemPosition, emit: Emit): void {
  for (const [summaryIndex, part] of (item.summary as { type: string; text: string }[]).entries()) {
    const summaryAt = { ...at, summary_index: summaryIndex };
    emit('response.reasoning_summary_part.added', { ...summaryAt, part: { ...part, text: '' } });
    for (const delta of pieces(part.text)) emit('response.reasoning_summary_text.delta', { ...summaryAt, delta });
    emit('response.reasoning_summary_text.done', { ...summaryAt, text: part.text });
    emit('response.reasoning_summary_part.done', { ...summaryAt, part });
  }
}

function emitText(item: Item, at: ItemPosition, emit: Emit): void {
  for (const [contentIndex, part] of (item.content as { type: string; text: string }[]).entries()) {
    const partAt = { ...at, content_index: contentIndex };
    emit('response.content_part.added', { ...partAt, part: { ...part, text: '' } });
    for (const delta of pieces(part.text)) emit('response.output_text.delta', { ...partAt, delta, logprobs: [] });
    emit('response.output_text.done', { ...partAt, text: part.text, logprobs: [] });
    emit('response.content_part.done', { ...partAt, part });
  }
}

function emitArguments(item: Item, at: ItemPosition, emit: Emit): void {
  const args = String(item.arguments);
  for (const delta of pieces(args)) emit('response.function_call_arguments.delta', { ...at, delta });
  emit('response.function_call_arguments.done', { ...at, name: item.name, arguments: args });
}

function seal(id: string, reasoning: string): string {
  return createHash('sha256').update(`scripted:${id}:${reasoning}`).digest('base64');
}
