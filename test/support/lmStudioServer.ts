/**
 * A test double for LM Studio's server, as its REST and OpenAI-compatibility docs describe it:
 * - GET /v1/models lists ids owned by `organization_owner`;
 * - GET /api/v1/models lists each model with `max_context_length` and, when loaded, `loaded_instances[].config
 *   .context_length` (the context it was loaded with, often far below the maximum); GET /api/v0/models/{id}
 *   gives `max_context_length`;
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
}

export class LmStudioServer extends ScriptedOpenAIServer {
  private constructor(
    steps: ScriptStep[],
    private readonly lm: LmStudioServerOptions,
  ) {
    super(steps, { ...lm, model: lm.model ?? 'qwen2.5-coder-7b-instruct' });
  }

  static async start(steps: ScriptStep[] = [], options: LmStudioServerOptions = {}): Promise<LmStudioServer> {
    const server = new LmStudioServer(steps, options);
    await server.listen();
    return server;
  }

  private get loadedContext(): number {
    return this.lm.loadedContext ?? 4096;
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'organization_owner' };
  }

  protected extraRoute(request: RecordedRequest): Answer | undefined {
    if (request.method !== 'GET') return undefined;
    const maxContext = this.lm.maxContext ?? 32768;
    if (request.path === '/api/v1/models')
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
