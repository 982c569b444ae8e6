/**
 * A user message right after a tool result, which Mistral's chat format refused until mistral_common 1.11.1
 * (April 2026): Mistral's API and vLLM serving a Mistral model with `--tokenizer-mode mistral` answer it with a 400,
 * "Unexpected role 'user' after role 'tool'". The protocols write one where a user answers an agent that ended its
 * round with a call (a CodeAssistBench user's reply, test feedback after `submit`). For a server that refuses it, an
 * assistant message goes between, standing for the reply the agent ended its round without.
 */
import type { AssistantMessage } from './policy';

export const ASSISTANT_BETWEEN_TOOL_AND_USER: AssistantMessage = { role: 'assistant', content: 'Done.' };

/** `messages` with the assistant message between every tool result and a user message right after it. */
export function withAssistantAfterTools<M extends { role: string }>(messages: readonly M[]): (M | AssistantMessage)[] {
  return messages.flatMap((message, index) =>
    message.role === 'user' && messages[index - 1]?.role === 'tool'
      ? [ASSISTANT_BETWEEN_TOOL_AND_USER, message]
      : [message],
  );
}
