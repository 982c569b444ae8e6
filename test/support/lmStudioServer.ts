/**
 * A test double for LM Studio's server, as its REST and OpenAI-compatibility docs describe it:
 * - GET /v1/models lists ids owned by `organization_owner`;
 * - GET /api/v1/models (0.4 and later) lists each model with `max_context_length` and, when loaded,
 *   `loaded_instances[].config.context_length` (the context it was loaded with, often far below the maximum);
 * - the v0 REST API (0.3.6 and later; the only one before 0.4): GET /api/v0/models/{id} gives `state`
 *   (`loaded` / `not-loaded`) and `max_context_length`; POST /api/v0/chat/completions answers with `stats`,
 *   `runtime` and `model_info.context_length`, the context the model is loaded with;
 * - a prompt past the loaded context is refused: 400 `{"error":"Trying to keep the first N tokens when
 *   context the overflows. However, the model is loaded with context length of only M tokens, …"}`.
 */
import { promptTokens, type Answer, type RecordedRequest, type ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface LmStudioServerOptions extends ScriptedOpenAIServerOptions {
  /** The context the model is loaded with (default 4096); undefined with `loaded: false`. */
  loadedContext?: number;
  /** The model's own maximum (default 32768). */
  maxContext?: number;
  /** The model is loaded (default true); else it is loaded just in time by the first request. */
  loaded?: boolean;
  /** The release: 0.3 has only the v0 REST API (no /api/v1); default 0.4. */
  release?: '0.3' | '0.4';
}

export class LmStudioServer extends ScriptedOpenAIServer {
  constructor(
    steps: ScriptStep[],
    private readonly lm: LmStudioServerOptions = {},
  ) {
    super(steps, { ...lm, model: lm.model ?? 'qwen2.5-coder-7b-instruct' });
  }

  private get loadedContext(): number {
    return this.lm.loadedContext ?? 4096;
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'organization_owner' };
  }

  /** The requests to LM Studio's own v0 chat completions (not the OpenAI-compatible ones). */
  get v0CompletionRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/api/v0/chat/completions');
  }

  protected extraRoute(request: RecordedRequest): Answer | undefined {
    if (request.method === 'POST' && request.path === '/api/v0/chat/completions') return this.v0Completion(request);
    if (request.method !== 'GET') return undefined;
    const maxContext = this.lm.maxContext ?? 32768;
    if (request.path === '/api/v1/models' && this.lm.release !== '0.3')
      return {
        status: 200,
        json: {
          models: [
            {
              type: 'llm',
              publisher: 'lmstudio-community',
              key: this.model,
              display_name: 'Qwen2.5 Coder 7B Instruct',
              architecture: 'qwen2',
              quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
              size_bytes: 4_683_073_536,
              params_string: '7B',
              loaded_instances:
                this.lm.loaded === false
                  ? []
                  : [
                      {
                        id: this.model,
                        config: { context_length: this.loadedContext, eval_batch_size: 512, parallel: 4 },
                      },
                    ],
              max_context_length: maxContext,
              format: 'gguf',
              capabilities: { vision: false, trained_for_tool_use: true },
            },
          ],
        },
      };
    if (request.path === `/api/v0/models/${this.model}`)
      return {
        status: 200,
        json: {
          id: this.model,
          object: 'model',
          type: 'llm',
          publisher: 'lmstudio-community',
          arch: 'qwen2',
          compatibility_type: 'gguf',
          quantization: 'Q4_K_M',
          state: this.lm.loaded === false ? 'not-loaded' : 'loaded',
          max_context_length: maxContext,
        },
      };
    return undefined;
  }

  /** A v0 completion of one token (what a probe asks), with the fields only the v0 API adds. */
  private v0Completion(request: RecordedRequest): Answer {
    const prompt = promptTokens(request.body);
    return {
      status: 200,
      json: {
        id: 'chatcmpl-lmstudio0',
        object: 'chat.completion',
        created: 1_731_990_317,
        model: this.model,
        choices: [
          { index: 0, logprobs: null, finish_reason: 'length', message: { role: 'assistant', content: 'Hello' } },
        ],
        usage: { prompt_tokens: prompt, completion_tokens: 1, total_tokens: prompt + 1 },
        stats: {
          tokens_per_second: 51.4,
          time_to_first_token: 0.111,
          generation_time: 0.02,
          stop_reason: 'maxPredictedTokensReached',
        },
        model_info: { arch: 'qwen2', quant: 'Q4_K_M', format: 'gguf', context_length: this.loadedContext },
        runtime: { name: 'llama.cpp-linux-x86_64-avx2', version: '1.3.0', supported_formats: ['gguf'] },
      },
    };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const prompt = promptTokens(request.body);
    if (prompt > this.loadedContext)
      return {
        status: 400,
        json: {
          error: `Trying to keep the first ${prompt} tokens when context the overflows. However, the model is loaded with context length of only ${this.loadedContext} tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input`,
        },
      };
    return undefined;
  }

  protected decorate(completion: Record<string, unknown>, _parts: CompletionParts): void {
    completion.system_fingerprint = this.model;
  }
}
