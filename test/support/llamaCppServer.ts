/**
 * A test double for llama.cpp's `llama-server`, as its README and server source describe it:
 * - GET /v1/models lists the model file with `owned_by: "llamacpp"` and a `meta` block (`n_ctx_train` …);
 *   GET /props gives `default_generation_settings.n_ctx`, the context of a slot; GET /health `{"status":"ok"}`;
 * - `tools` without `--jinja` is refused: 500 `{"error":{"code":500,"message":"tools param requires --jinja
 *   flag","type":"server_error"}}`; builds before streamed tool calls refuse `stream` with `tools`
 *   ("Cannot use tools with stream");
 * - a prompt past the slot's context is refused: 400 `exceed_context_size_error`, "request (N tokens) exceeds
 *   the available context size (M tokens), try increasing it", with `n_prompt_tokens` and `n_ctx`;
 * - reasoning (with `--reasoning-format deepseek`, the default) comes in `reasoning_content`, and with
 *   `--reasoning-format none` in the reply's text, `<think>…</think>` and all; `timings.cache_n` counts the
 *   prompt tokens reused from the slot's cache.
 */
import { promptTokens, type Answer, type RecordedRequest, type ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface LlamaCppServerOptions extends ScriptedOpenAIServerOptions {
  /** Started with `--jinja` (default true). */
  jinja?: boolean;
  /** `-c`: the slot's context (default 8192). */
  nCtx?: number;
  /** A build that streams tool calls (default true). */
  streamsToolCalls?: boolean;
  /** `--reasoning-format` (default `deepseek`). */
  reasoningFormat?: 'deepseek' | 'none';
}

export class LlamaCppServer extends ScriptedOpenAIServer {
  private lastPrompt = 0;

  constructor(
    steps: ScriptStep[],
    private readonly llama: LlamaCppServerOptions = {},
  ) {
    super(steps, { ...llama, model: llama.model ?? 'models/qwen2.5-coder-7b-instruct-q4_k_m.gguf' });
  }

  get nCtx(): number {
    return this.llama.nCtx ?? 8192;
  }

  protected modelCard(): Record<string, unknown> {
    return {
      id: this.model,
      object: 'model',
      created: 1_735_142_223,
      owned_by: 'llamacpp',
      meta: {
        vocab_type: 2,
        n_vocab: 151936,
        n_ctx_train: 32768,
        n_embd: 3584,
        n_params: 7615616512,
        size: 4683073536,
      },
    };
  }

  protected extraRoute(request: RecordedRequest): Answer | undefined {
    if (request.method === 'GET' && request.path === '/health') return { status: 200, json: { status: 'ok' } };
    if (request.method === 'GET' && request.path === '/props')
      return {
        status: 200,
        json: {
          default_generation_settings: {
            id: 0,
            n_ctx: this.nCtx,
            speculative: false,
            is_processing: false,
            params: {},
          },
          total_slots: 1,
          model_path: this.model,
          chat_template: '{{ messages }}',
          build_info: 'b5000-scripted',
        },
      };
    return undefined;
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const body = request.body ?? {};
    const tools = Array.isArray(body.tools) && body.tools.length > 0;
    if (tools && body.stream && this.llama.streamsToolCalls === false)
      return this.errorAnswer(500, 'Cannot use tools with stream');
    if (tools && this.llama.jinja === false) return this.errorAnswer(500, 'tools param requires --jinja flag');
    const prompt = promptTokens(body);
    if (prompt > this.nCtx)
      return {
        status: 400,
        json: {
          error: {
            code: 400,
            message: `request (${prompt} tokens) exceeds the available context size (${this.nCtx} tokens), try increasing it`,
            type: 'exceed_context_size_error',
            n_prompt_tokens: prompt,
            n_ctx: this.nCtx,
          },
        },
      };
    return undefined;
  }

  protected errorAnswer(status: number, message: string): Answer {
    const type = status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { status, json: { error: { code: status, message, type } } };
  }

  protected get reasoningFields(): string[] {
    return ['reasoning_content'];
  }

  protected get reasoningInText(): boolean {
    return this.llama.reasoningFormat === 'none';
  }

  protected decorate(completion: Record<string, unknown>, parts: CompletionParts): void {
    // The slot keeps the previous prompt; a longer one reuses it as far as it goes.
    const cached = Math.min(this.lastPrompt, parts.promptTokens);
    this.lastPrompt = parts.promptTokens;
    completion.system_fingerprint = 'b5000-scripted';
    completion.timings = {
      cache_n: cached,
      prompt_n: parts.promptTokens - cached,
      predicted_n: parts.completionTokens,
    };
  }
}
