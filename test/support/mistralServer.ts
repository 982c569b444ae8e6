/**
 * A test double for Mistral's chat-completions API (`https://api.mistral.ai/v1`), as it checked a conversation's
 * order of roles up to mistral_common 1.11.0 (vLLM serving a Mistral model with `--tokenizer-mode mistral` checks
 * it the same way, with the same words): after a system message come user, assistant or system messages; after a
 * user message assistant, system or user; after an assistant message assistant, user or tool; after a tool result
 * only an assistant message or another tool result. Anything else is refused before generating: 400
 * `{"object": "error", "message": "Unexpected role 'user' after role 'tool'", "type": "invalid_request_message_order",
 * "param": null, "code": "3230"}` (the body Mistral's API returned in datapizza-labs/datapizza-ai#98 and
 * avante-corp/avante.nvim#2695). test/fixtures/mistral-message-order holds mistral_common's own verdicts.
 */
import type { Answer, RecordedRequest, ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

const ROLES_AFTER: Record<string, string[]> = {
  system: ['user', 'assistant', 'system'],
  user: ['assistant', 'system', 'user'],
  assistant: ['assistant', 'user', 'tool'],
  tool: ['assistant', 'tool'],
};

/** What Mistral's check says of the order of `messages`' roles; undefined when it takes them. */
export function mistralOrderRefusal(messages: readonly { role: string }[]): string | undefined {
  for (const [index, message] of messages.entries()) {
    const previous = messages[index - 1]?.role;
    if (previous !== undefined && !ROLES_AFTER[previous]?.includes(message.role))
      return `Unexpected role '${message.role}' after role '${previous}'`;
  }
  return undefined;
}

export class MistralServer extends ScriptedOpenAIServer {
  static async start(steps: ScriptStep[] = [], options: ScriptedOpenAIServerOptions = {}): Promise<MistralServer> {
    const server = new MistralServer(steps, { model: 'devstral-medium-2507', ...options });
    await server.listen();
    return server;
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'mistralai', max_context_length: 131072 };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const refusal = mistralOrderRefusal((request.body?.messages ?? []) as { role: string }[]);
    if (!refusal) return super.refuse(request);
    const json = {
      object: 'error',
      message: refusal,
      type: 'invalid_request_message_order',
      param: null,
      code: '3230',
    };
    return { status: 400, json };
  }
}
