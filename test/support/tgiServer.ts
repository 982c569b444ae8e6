/**
 * A test double for Hugging Face's text-generation-inference (TGI) router with its OpenAI-compatible Messages API,
 * as its source says (huggingface/text-generation-inference at db931fc, 3.3.x, `router/src`):
 * - GET /v1/models lists the one model, `{"id": MODEL, "object": "model", "created": 0, "owned_by": MODEL}`;
 *   GET /info gives the router's limits, `max_input_tokens` and `max_total_tokens`, and `router:
 *   "text-generation-router"`;
 * - errors are `{"error": "<words>", "error_type": "<kind>"}`, a validation error a 422 worded "Input validation
 *   error: …": a prompt plus `max_tokens` past `max_total_tokens` is "`inputs` tokens + `max_new_tokens` must be <=
 *   N. Given: P `inputs` tokens and M `max_new_tokens`" (without `max_tokens`, M is what is left of the window, 0
 *   for a prompt over it), a prompt past `max_input_tokens` "`inputs` must have less than N tokens. Given: P";
 *   a failure during generation is a 424 "Request failed during generation: …", an overloaded router a 429 "Model is
 *   overloaded" (`InferError` in `router/src/infer/mod.rs`, its statuses in `router/src/server.rs`);
 * - a streamed request's validation and generation run after the 200 (`generate_stream_internal`): their errors are
 *   an event `{"error": {"message": "<words>", "http_status_code": 422}}`, 422 whatever the error, then `[DONE]`
 *   (`into_openai_event`);
 * - it has no reasoning parser: a reasoning model's reply is its text as the model wrote it, `<think>…</think>` and
 *   all;
 * - a reply that calls a tool has no `content` field, one call with the id "0", and its arguments as a JSON string;
 *   streamed, every delta of the call repeats its index 0 and its id, the next integer after the ids of the calls in
 *   the conversation ("0", "1", …; a UUID once one of them is no integer), and names the function on the first, whose
 *   arguments are "{", only (`router/src/chat.rs`, `next_tool_call_id` in `router/src/lib.rs`); every text delta
 *   carries the role.
 */
import { randomUUID } from 'node:crypto';
import { pieces, promptTokens, type Answer, type RecordedRequest, type ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface TgiServerOptions extends ScriptedOpenAIServerOptions {
  /** `--max-total-tokens` (default 4096). */
  maxTotalTokens?: number;
  /** `--max-input-tokens` (default one less than the total). */
  maxInputTokens?: number;
}

export class TgiServer extends ScriptedOpenAIServer {
  constructor(
    steps: ScriptStep[],
    private readonly tgi: TgiServerOptions = {},
  ) {
    super(steps, { model: 'Qwen/Qwen2.5-Coder-7B-Instruct', ...tgi });
  }

  private get maxTotalTokens(): number {
    return this.tgi.maxTotalTokens ?? 4096;
  }

  private get maxInputTokens(): number {
    return this.tgi.maxInputTokens ?? this.maxTotalTokens - 1;
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', created: 0, owned_by: this.model };
  }

  protected extraRoute(request: RecordedRequest): Answer | undefined {
    if (request.method !== 'GET' || request.path !== '/info') return undefined;
    const info = {
      model_id: this.model,
      model_sha: null,
      model_pipeline_tag: 'text-generation',
      max_concurrent_requests: 128,
      max_best_of: 2,
      max_stop_sequences: 4,
      max_input_tokens: this.maxInputTokens,
      max_total_tokens: this.maxTotalTokens,
      validation_workers: 2,
      max_client_batch_size: 4,
      router: 'text-generation-router',
      version: '3.3.7',
      sha: null,
      docker_label: null,
    };
    return { status: 200, json: info };
  }

  /** TGI's validation, in its order: the window for prompt and reply, then the prompt's own limit. */
  protected refuse(request: RecordedRequest): Answer | undefined {
    const prompt = promptTokens(request.body);
    const asked = request.body?.max_tokens;
    const reply = typeof asked === 'number' ? asked : Math.max(0, this.maxTotalTokens - prompt);
    if (prompt + reply > this.maxTotalTokens)
      return this.inferError(
        422,
        `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${this.maxTotalTokens}. Given: ${prompt} \`inputs\` tokens and ${reply} \`max_new_tokens\``,
        request,
      );
    if (prompt > this.maxInputTokens)
      return this.inferError(
        422,
        `Input validation error: \`inputs\` must have less than ${this.maxInputTokens} tokens. Given: ${prompt}`,
        request,
      );
    return undefined;
  }

  /** A scripted failure is one of inference's: a 424 fails during generation, a 429 is an overloaded router. */
  protected scriptedErrorAnswer(status: number, message: string, _code?: string, request?: RecordedRequest): Answer {
    return this.inferError(status, message, request);
  }

  /** An error of inference: the HTTP status of its kind, or after a streamed request's 200, an event saying 422. */
  private inferError(status: number, message: string, request?: RecordedRequest): Answer {
    if (!request?.body?.stream) return this.errorAnswer(status, message);
    return { status: 200, sse: [{ error: { message, http_status_code: 422 } }, '[DONE]'] };
  }

  protected errorAnswer(status: number, message: string): Answer {
    return { status, json: { error: message, error_type: ERROR_TYPES.get(status) ?? 'validation' } };
  }

  protected callId(): string {
    return '0';
  }

  protected get reasoningInText(): boolean {
    return true;
  }

  protected contentDeltas(parts: CompletionParts): Record<string, unknown>[] {
    return pieces(parts.content).map((piece) => ({ role: 'assistant', content: piece }));
  }

  protected toolCallDeltas(parts: CompletionParts): Record<string, unknown>[] {
    const id = nextToolCallId(parts.request);
    return (parts.toolCalls ?? []).flatMap(({ function: { name, arguments: args } }) =>
      [args.slice(0, 1), ...pieces(args.slice(1))].map((piece, at) => ({
        role: 'assistant',
        tool_calls: [{ index: 0, id, type: 'function', function: { name: at === 0 ? name : null, arguments: piece } }],
      })),
    );
  }

  /** A tool-calling reply is the router's ToolCall message: a role and the calls, no `content` field. */
  protected decorate(completion: Record<string, unknown>, parts: CompletionParts): void {
    completion.system_fingerprint = '3.3.7-sha-db931fc';
    const message = (completion.choices as { message?: Record<string, unknown> }[] | undefined)?.[0]?.message;
    if (message && parts.toolCalls?.length) delete message.content;
  }
}

/** The `error_type` of TGI's errors by the status it sends them with. */
const ERROR_TYPES = new Map([
  [422, 'validation'],
  [424, 'generation'],
  [429, 'overloaded'],
  [500, 'incomplete_generation'],
]);

/** TGI's id for a streamed call: one past the largest integer id of the conversation's calls; a UUID if one is not. */
function nextToolCallId(request: RecordedRequest): string {
  const messages = (request.body?.messages ?? []) as { tool_calls?: { id: string }[] }[];
  const ids = messages.flatMap((message) => (message.tool_calls ?? []).map((call) => call.id));
  if (!ids.every((id) => /^\d+$/.test(id))) return randomUUID();
  return String(ids.reduce((next, id) => Math.max(next, Number(id) + 1), 0));
}
