/**
 * A test double for Together AI's OpenAI-compatible API (`https://api.together.xyz/v1`), as its Python SDK reads it
 * (together-python, `together/resources/models.py` and `together/types/models.py`):
 * - GET /v1/models is a bare JSON array of model cards, not OpenAI's `{"object": "list", "data": […]}`; each card has
 *   `id`, `object: "model"`, `created`, `type` (`chat`, `language`, `code`, …), `display_name`, `organization`,
 *   `link`, `license`, `context_length` and `pricing` (`input`, `output`, `hourly`, `base`, `finetune`), and no
 *   `owned_by`; the list holds every model Together serves, the served one among them.
 */
import type { ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface TogetherServerOptions extends ScriptedOpenAIServerOptions {
  /** The served model's `context_length` (default 262144). */
  contextLength?: number;
}

export class TogetherServer extends ScriptedOpenAIServer {
  constructor(
    steps: ScriptStep[],
    private readonly together: TogetherServerOptions = {},
  ) {
    super(steps, { model: 'Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', ...together });
  }

  protected modelCard(): Record<string, unknown> {
    return card(this.model, 'Qwen', this.together.contextLength ?? 262144);
  }

  protected modelListing(): unknown {
    return [
      card('meta-llama/Llama-3.3-70B-Instruct-Turbo', 'Meta', 131072),
      this.modelCard(),
      card('deepseek-ai/DeepSeek-R1', 'DeepSeek', 163840),
    ];
  }
}

function card(id: string, organization: string, contextLength: number): Record<string, unknown> {
  return {
    id,
    object: 'model',
    created: 1_745_000_000,
    type: 'chat',
    display_name: id.split('/')[1],
    organization,
    link: `https://huggingface.co/${id}`,
    license: 'other',
    context_length: contextLength,
    pricing: { hourly: 0, input: 2, output: 2, base: 0, finetune: 0 },
  };
}
