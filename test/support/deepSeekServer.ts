/**
 * A test double for DeepSeek's chat-completions API in thinking mode (the default of deepseek-v4-pro and
 * deepseek-v4-flash; deepseek-reasoner before them), as api-docs.deepseek.com/guides/thinking_mode describes it:
 * - every reply carries the model's reasoning in `reasoning_content`, '' when it had none; a stream opens with
 *   the delta `{"role": "assistant", "content": null, "reasoning_content": ""}`;
 * - the reasoning of a turn that called tools must come back on its assistant message in every later request;
 *   a request where one lacks it is refused: 400 "The `reasoning_content` in the thinking mode must be passed
 *   back to the API." with `type` and `code` `invalid_request_error` (turns without tool calls may leave it out);
 * - usage counts `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens` and the reasoning tokens.
 */
import type { Answer, RecordedRequest, ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export const DEEPSEEK_REASONING_REFUSAL =
  'The `reasoning_content` in the thinking mode must be passed back to the API.';

export class DeepSeekServer extends ScriptedOpenAIServer {
  constructor(steps: ScriptStep[], options: ScriptedOpenAIServerOptions = {}) {
    super(steps, { model: 'deepseek-v4-pro', ...options });
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'deepseek' };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const messages = (request.body?.messages ?? []) as {
      role?: string;
      tool_calls?: unknown[];
      reasoning_content?: unknown;
    }[];
    const lacking = messages.some(
      (message) =>
        message.role === 'assistant' && message.tool_calls?.length && typeof message.reasoning_content !== 'string',
    );
    if (lacking)
      return {
        status: 400,
        json: {
          error: {
            message: DEEPSEEK_REASONING_REFUSAL,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_request_error',
          },
        },
      };
    return super.refuse(request);
  }

  protected get reasoningFields(): string[] {
    return ['reasoning_content'];
  }

  protected openingDelta(_parts: CompletionParts): Record<string, unknown> {
    return { role: 'assistant', content: null, reasoning_content: '' };
  }

  protected decorate(completion: Record<string, unknown>, parts: CompletionParts): void {
    const [choice] = completion.choices as { message: Record<string, unknown> }[];
    choice.message.reasoning_content = parts.reasoning ?? '';
    completion.system_fingerprint = 'fp_deepseek0';
    const usage = completion.usage as Record<string, unknown>;
    Object.assign(usage, {
      prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: parts.promptTokens,
      completion_tokens_details: { reasoning_tokens: Math.ceil((parts.reasoning ?? '').length / 4) },
    });
  }
}
