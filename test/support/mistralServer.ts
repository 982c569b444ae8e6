/**
 * A test double for Mistral's chat-completions API (`https://api.mistral.ai/v1`), as it checked a conversation's
 * order of roles up to mistral_common 1.11.0 (vLLM serving a Mistral model with `--tokenizer-mode mistral` checks
 * it the same way, with the same words): after a system message come user, assistant or system messages; after a
 * user message assistant, system or user; after an assistant message assistant, user or tool; after a tool result
 * only an assistant message or another tool result. Anything else is refused before generating: 400
 * `{"object": "error", "message": "Unexpected role 'user' after role 'tool'", "type": "invalid_request_message_order",
 * "param": null, "code": "3230"}` (the body Mistral's API returned in datapizza-labs/datapizza-ai#98 and
 * avante-corp/avante.nvim#2695). Each message is then checked as `MistralChecks` says: an empty assistant message
 * gets `{"object": "error", "message": "Assistant message must have either content or tool_calls, but not none.",
 * "type": "invalid_request_error", "param": null, "code": null}` (solbrowse/extension#16, OpenHands/OpenHands#8685).
 * test/fixtures/mistral-message-order holds mistral_common's own verdicts.
 */
import type { Answer, RecordedRequest, ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

const ROLES_AFTER: Record<string, string[]> = {
  system: ['user', 'assistant', 'system'],
  user: ['assistant', 'system', 'user'],
  assistant: ['assistant', 'user', 'tool'],
  tool: ['assistant', 'tool'],
};

/**
 * Whose checks: `api` is Mistral's API (its order check as above, a call id of nine letters and digits, and no
 * assistant message with neither text nor calls: "…, but not none."); `v3` and `v7` are mistral_common's checks of
 * a model whose tokenizer is of that version (V3: Mistral 7B v0.3, Mixtral 8x22B, Codestral 22B, Mistral Nemo; V7:
 * Mistral Large 2411, Mistral Small 3), as vLLM serving it with `--tokenizer-mode mistral` runs them
 * (vllm-project/vllm#9059): the same order and id checks, and for V3 an assistant message needs exactly one of text
 * and calls ("…, but not both." of either), for V7 it cannot be empty ("Invalid assistant message: …").
 */
export type MistralChecks = 'api' | 'v3' | 'v7';

export interface MistralMessage {
  role: string;
  content?: string | null;
  tool_calls?: { id: string }[];
}

/** What Mistral's checks say of `messages`, the order of roles first, then each message; undefined if they pass. */
export function mistralRefusal(messages: readonly MistralMessage[], checks: MistralChecks = 'api'): string | undefined {
  return orderRefusal(messages) ?? messages.map((message) => messageRefusal(message, checks)).find(Boolean);
}

function orderRefusal(messages: readonly MistralMessage[]): string | undefined {
  for (const [index, message] of messages.entries()) {
    const previous = messages[index - 1]?.role;
    if (previous !== undefined && !ROLES_AFTER[previous]?.includes(message.role))
      return `Unexpected role '${message.role}' after role '${previous}'`;
  }
  return undefined;
}

function messageRefusal(message: MistralMessage, checks: MistralChecks): string | undefined {
  if (message.role !== 'assistant') return undefined;
  const calls = message.tool_calls ?? [];
  if (checks === 'v3' && Boolean(message.content) === calls.length > 0)
    return 'Assistant message must have either content or tool_calls, but not both.';
  if (checks === 'api' && !message.content && calls.length === 0)
    return 'Assistant message must have either content or tool_calls, but not none.';
  if (checks === 'v7' && !message.content && calls.length === 0)
    return `Invalid assistant message: role='assistant' content='' tool_calls=None prefix=False`;
  const badId = calls.find((call) => !/^[a-zA-Z0-9]{9}$/.test(call.id));
  return badId && `Tool call id was ${badId.id} but must be a-z, A-Z, 0-9, with a length of 9.`;
}

/** A call id as Mistral's servers make them: nine letters and digits. */
export function mistralCallId(completion: number, i: number): string {
  return `C${String(completion).padStart(5, '0')}X${String(i).padStart(2, '0')}`;
}

export class MistralServer extends ScriptedOpenAIServer {
  constructor(steps: ScriptStep[], options: ScriptedOpenAIServerOptions = {}) {
    super(steps, { model: 'devstral-medium-2507', ...options });
  }

  protected modelCard(): Record<string, unknown> {
    return { id: this.model, object: 'model', owned_by: 'mistralai', max_context_length: 131072 };
  }

  protected callId(completion: number, i: number): string {
    return mistralCallId(completion, i);
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const refusal = mistralRefusal((request.body?.messages ?? []) as MistralMessage[]);
    if (!refusal) return super.refuse(request);
    const order = refusal.startsWith('Unexpected role');
    const json = {
      object: 'error',
      message: refusal,
      type: order ? 'invalid_request_message_order' : 'invalid_request_error',
      param: null,
      code: order ? '3230' : null,
    };
    return { status: 400, json };
  }
}
