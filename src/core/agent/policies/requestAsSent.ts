/**
 * The conversation as a policy sends it: the recorded messages, with reasoning the model wrote in a reply's text back
 * in that text, and changed only where a server refused them as they are. One definition, which the policies send and
 * the RL export writes as each turn's prompt, so a dataset's prompts are the requests the model answered. Each change
 * belongs to a quirk a server showed (the turn's `workarounds` record it) or one its backend is known to have from the
 * start.
 */
import type { QuirkName } from './serverErrors';
import type { AssistantMessage, InlineReasoning } from './policy';

/**
 * A user message right after a tool result, which Mistral's chat format refused until mistral_common 1.11.1
 * (April 2026): Mistral's API and vLLM serving a Mistral model with `--tokenizer-mode mistral` answer it with a 400,
 * "Unexpected role 'user' after role 'tool'". The protocols write one where a user answers an agent that ended its
 * round with a call (a CodeAssistBench user's reply, test feedback after `submit`). For a server that refuses it, an
 * assistant message goes between, standing for the reply the agent ended its round without.
 */
export const ASSISTANT_BETWEEN_TOOL_AND_USER: AssistantMessage = { role: 'assistant', content: 'Done.' };

/** The text of a reply the model left empty, for servers that refuse an assistant message with nothing in it. */
export const NO_RESPONSE = '(no response)';

/** The quirks whose workaround changes the messages sent; the others change how they are sent (streaming). */
const MESSAGE_QUIRKS: ReadonlySet<QuirkName> = new Set<QuirkName>([
  'reasoning-field-refused',
  'empty-assistant-refused',
  'assistant-content-and-calls-refused',
  'user-after-tool-refused',
]);

export function changesMessages(quirk: string): quirk is QuirkName {
  return (MESSAGE_QUIRKS as ReadonlySet<string>).has(quirk);
}

/** What a backend's API refuses from the start: its policy sends every request as if refused once. */
export function refusedFromTheStart(backend: string): ReadonlySet<QuirkName> {
  // Anthropic refuses an assistant turn without a block (a thinking block does not count).
  return new Set<QuirkName>(backend === 'anthropic' ? ['empty-assistant-refused'] : []);
}

/** What the changes read of a message: the policy's messages, the recorded ones and exports' all have it. */
export interface SendableMessage {
  role: string;
  content?: unknown;
  tool_calls?: readonly unknown[];
  extra?: Record<string, unknown>;
}

/** `messages` as sent to a server that showed `quirks`. */
export function messagesAsSent<M extends SendableMessage>(
  messages: readonly M[],
  quirks: ReadonlySet<QuirkName>,
): (M | AssistantMessage)[] {
  const sent = messages.map((message) => (message.role === 'assistant' ? assistantAsSent(message, quirks) : message));
  return quirks.has('user-after-tool-refused') ? withAssistantAfterTools(sent) : sent;
}

/** `messages` with the assistant message between every tool result and a user message right after it. */
export function withAssistantAfterTools<M extends { role: string }>(messages: readonly M[]): (M | AssistantMessage)[] {
  return messages.flatMap((message, index) =>
    message.role === 'user' && messages[index - 1]?.role === 'tool'
      ? [ASSISTANT_BETWEEN_TOOL_AND_USER, message]
      : [message],
  );
}

function assistantAsSent<M extends SendableMessage>(message: M, quirks: ReadonlySet<QuirkName>): M {
  let sent = withReasoningInline(message);
  if (quirks.has('reasoning-field-refused')) sent = withoutReasoning(sent);
  const hasCalls = Boolean(sent.tool_calls?.length);
  // mistral_common's check before its V5 validator (tokenizers before V7) wants exactly one of text and calls, and
  // says "but not both" of either; Mistral's API refuses only a message with neither ("but not none").
  if (quirks.has('assistant-content-and-calls-refused') && hasCalls && sent.content) sent = { ...sent, content: null };
  const refusesEmpty = quirks.has('empty-assistant-refused') || quirks.has('assistant-content-and-calls-refused');
  if (refusesEmpty && !hasCalls && !sent.content) sent = { ...sent, content: NO_RESPONSE };
  return sent;
}

/**
 * The message with the reasoning the model wrote in its text put back there (src/core/agent/policies/
 * inlineReasoning.ts): it goes to the server as the server returned it, not as a reasoning field.
 */
function withReasoningInline<M extends SendableMessage>(message: M): M {
  const kept = message.extra?.reasoning_sent_back as InlineReasoning | { field?: undefined } | undefined;
  if (kept?.field !== 'content') return message;
  const answer = typeof message.content === 'string' ? message.content : '';
  const extra = { ...message.extra };
  delete extra.reasoning_sent_back;
  return withExtra({ ...message, content: kept.before + kept.text + kept.after + answer }, extra);
}

/** The message without the reasoning that would go back with it, of any kind. */
function withoutReasoning<M extends SendableMessage>(message: M): M {
  if (!message.extra) return message;
  const extra = { ...message.extra };
  delete extra.thinking_blocks;
  delete extra.reasoning_sent_back;
  delete extra.reasoning_details;
  delete extra.reasoning_items;
  return withExtra(message, extra);
}

function withExtra<M extends SendableMessage>(message: M, extra: Record<string, unknown>): M {
  if (Object.keys(extra).length) return { ...message, extra };
  return Object.fromEntries(Object.entries(message).filter(([key]) => key !== 'extra')) as M;
}
