/**
 * A test double for Gemini 3 behind Google's OpenAI-compatible API (`…/v1beta/openai`), as
 * ai.google.dev/gemini-api/docs/thought-signatures and captured replies describe it:
 * - the first tool call of every reply carries the model's thought signature, an opaque base64 string, as
 *   `extra_content: {"google": {"thought_signature": "…"}}`; a parallel call after it carries none;
 * - a stream sends each call whole in one delta, without an `index`, its `extra_content` beside it;
 * - a text reply carries a signature too, not enforced: on the message (`extra_content`), and in a stream on an
 *   empty-text delta after the text;
 * - every request is checked over its current turn (the messages after the last user message): the first call of
 *   each assistant message there must come back with the signature it was given, byte for byte. One left out is
 *   refused: 400 "Function call is missing a thought_signature in functionCall parts. … function call
 *   `default_api:NAME` , position N. …"; one changed is refused: 400 "Corrupted thought signature.". Earlier
 *   turns are not checked;
 * - errors come as a one-element array: `[{"error": {"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}}]`.
 * A signature here is an HMAC of the call, so any instance of the double checks one another made (a resumed run).
 */
import { createHmac } from 'node:crypto';
import type { Answer, RecordedRequest, ScriptStep } from './scriptedServer';
import {
  ScriptedOpenAIServer,
  type CompletionParts,
  type ScriptedOpenAIServerOptions,
  type WireToolCall,
} from './scriptedOpenAIServer';

export const GEMINI_MISSING_SIGNATURE = 'Function call is missing a thought_signature in functionCall parts.';
export const GEMINI_CORRUPTED_SIGNATURE = 'Corrupted thought signature.';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** The signature the double gives a call (and a text reply: its text), long like Gemini's. */
export function thoughtSignature(name: string, args: string): string {
  const blocks = [0, 1, 2, 3, 4, 5, 6, 7].map((block) =>
    createHmac('sha256', 'gemini-double').update(`${block}\n${name}\n${args}`).digest(),
  );
  return Buffer.concat(blocks).toString('base64');
}

/** A vendor extension as Gemini's OpenAI-compatible API writes it. */
export function googleExtension(signature: string): { google: { thought_signature: string } } {
  return { google: { thought_signature: signature } };
}

type SentCall = { function?: { name?: string; arguments?: string }; extra_content?: { google?: unknown } };
type SentMessage = { role?: string; tool_calls?: SentCall[] };

export class GeminiServer extends ScriptedOpenAIServer {
  constructor(steps: ScriptStep[], options: ScriptedOpenAIServerOptions = {}) {
    super(steps, { model: 'gemini-3-flash-preview', ...options });
  }

  protected modelCard(): Record<string, unknown> {
    return { id: `models/${this.model}`, object: 'model', owned_by: 'google' };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const messages = (request.body?.messages ?? []) as SentMessage[];
    const turnStart = messages.map((message) => message.role).lastIndexOf('user');
    for (const [position, message] of messages.entries()) {
      const first = message.tool_calls?.[0];
      if (position < turnStart || message.role !== 'assistant' || !first) continue;
      const said = (first.extra_content?.google as { thought_signature?: unknown } | undefined)?.thought_signature;
      const name = first.function?.name ?? '';
      if (said === undefined)
        return this.errorAnswer(
          400,
          `${GEMINI_MISSING_SIGNATURE} This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , position ${position}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
        );
      if (said !== thoughtSignature(name, first.function?.arguments ?? ''))
        return this.errorAnswer(400, GEMINI_CORRUPTED_SIGNATURE);
    }
    return super.refuse(request);
  }

  protected errorAnswer(status: number, message: string): Answer {
    return { status, json: [{ error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } }] };
  }

  /** Gemini's completion: no system fingerprint, the signatures on the first call or on the text. */
  protected decorate(completion: Record<string, unknown>, parts: CompletionParts): void {
    const [choice] = completion.choices as { message: Record<string, unknown> }[];
    if (parts.toolCalls) choice.message.tool_calls = signed(parts.toolCalls);
    else choice.message.extra_content = googleExtension(thoughtSignature('', parts.content ?? ''));
  }

  protected contentDeltas(parts: CompletionParts): Record<string, unknown>[] {
    const text = super.contentDeltas(parts);
    if (parts.toolCalls) return text;
    return [...text, { content: '', extra_content: googleExtension(thoughtSignature('', parts.content ?? '')) }];
  }

  protected toolCallDeltas(parts: CompletionParts): Record<string, unknown>[] {
    return signed(parts.toolCalls ?? []).map((call) => ({ tool_calls: [call] }));
  }
}

/** The reply's calls as Gemini sends them: the first signed, the parallel ones after it not. */
function signed(calls: WireToolCall[]): Record<string, unknown>[] {
  return calls.map((call, index) =>
    index === 0
      ? { ...call, extra_content: googleExtension(thoughtSignature(call.function.name, call.function.arguments)) }
      : call,
  );
}
