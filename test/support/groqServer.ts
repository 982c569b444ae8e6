/**
 * A test double for Groq's OpenAI-compatible API serving a reasoning model whose requests take no reasoning field,
 * as Groq answered for deepseek-r1-distill-llama-70b (karthink/gptel#774) and for gpt-oss and Llama models sent
 * `reasoning_content` (janhq/jan#8136, NousResearch/hermes-agent#11089):
 * - with `reasoning_format: "parsed"` a reply carries the model's reasoning in the message's `reasoning` field;
 * - an assistant message that carries `reasoning` or `reasoning_content` is refused: 400 `'messages.N' : for
 *   'role:assistant' the following must be satisfied[('messages.N' : property 'reasoning' is unsupported)]`,
 *   `type` `invalid_request_error`.
 */
import type { Answer, RecordedRequest, ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

const REASONING_FIELDS = ['reasoning', 'reasoning_content'];

export class GroqServer extends ScriptedOpenAIServer {
  constructor(steps: ScriptStep[], options: ScriptedOpenAIServerOptions = {}) {
    super(steps, { model: 'deepseek-r1-distill-llama-70b', ...options });
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'DeepSeek / Meta', active: true, context_window: 131072 };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const messages = (request.body?.messages ?? []) as Record<string, unknown>[];
    for (const [index, message] of messages.entries()) {
      const field = REASONING_FIELDS.find((name) => name in message);
      if (message.role !== 'assistant' || !field) continue;
      const at = `'messages.${index}'`;
      const said = `${at} : for 'role:assistant' the following must be satisfied[(${at} : property '${field}' is unsupported)]`;
      return { status: 400, json: { error: { message: said, type: 'invalid_request_error' } } };
    }
    return super.refuse(request);
  }

  protected get reasoningFields(): string[] {
    return ['reasoning'];
  }
}
