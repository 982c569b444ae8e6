/**
 * Every message the harness itself writes into a conversation, in one place. They all start with `[harness]`
 * so that context management can tell them from a real user's follow-up (which is never dropped), also in a
 * conversation read back from a recorded trajectory.
 */
import type { ChatMessage, UserMessage } from './policies/policy';

const PREFIX = '[harness]';

export function isHarnessNote(message: ChatMessage): boolean {
  return message.role === 'user' && message.content.startsWith(PREFIX);
}

function note(text: string): UserMessage {
  return { role: 'user', content: `${PREFIX} ${text}` };
}

export const notes = {
  noToolCall: () =>
    note('Your reply had no tool call. Every reply must call a tool; call `submit` when the fix is done.'),

  emptyReply: () => note('Your reply was empty. Continue the task: call a tool, or `submit` when the fix is done.'),

  /** A reply that hit the output limit: what was cut, how far it got, and what to do instead. */
  cutOff: (cut: { tokens: number; limit?: number; calls: string[] }) =>
    note(
      `Your reply was cut off: it stopped after ${cut.tokens} tokens, ${
        cut.limit ? `the limit of ${cut.limit} output tokens per reply` : "the server's output limit"
      }${cut.calls.length ? `, in the middle of a call to \`${cut.calls.at(-1)}\`` : ''}, so nothing in it was run. ${
        cut.calls.length
          ? 'Make the call again with shorter arguments: write large files in several smaller edits.'
          : 'Continue with a shorter reply.'
      }`,
    ),

  /** A reply the server stopped on its content (a content filter, a refusal), which no shorter reply would avoid. */
  stoppedOnContent: (calls: string[]) =>
    note(
      `Your reply was stopped by the model server's content policy${
        calls.length ? `, in the middle of a call to \`${calls.at(-1)}\`` : ''
      }, so nothing in it was run. Continue the task: call a tool, or \`submit\` when the fix is done.`,
    ),

  /** The answer to a tool call that was not run because the reply was cut off. */
  callNotRun: () => `${PREFIX} Not run: the reply was cut off at the output limit before this call was complete.`,

  /** A bash block or tool_call block problem in a reply without native tool calls. */
  textCallProblem: (problem: string) => note(problem),

  elidedTurns: (count: number) =>
    note(
      `${count} earlier turn${count === 1 ? ' was' : 's were'} removed to fit the context window. Their changes are still in the repository.`,
    ),

  summary: (count: number, text: string) =>
    note(
      `Summary of your ${count} earlier turn${count === 1 ? '' : 's'}, removed to fit the context window:\n\n${text}`,
    ),
};
