import { createHash } from 'node:crypto';
import { thinkingText, type ThinkingBlock } from '../agent/policies/policy';
import type { ChatMessage, ToolSchema, Turn } from '../trajectory/types';

/**
 * How tool calls are written for the consumer:
 * - `toolArguments`: `object` (what TRL, axolotl, unsloth and the chat templates of Qwen2.5, Llama 3.x and Qwen3
 *   render correctly: they apply `tojson` to the arguments) or `string` (the JSON text of OpenAI's wire form, what
 *   OpenAI fine-tuning reads; those templates would quote it a second time);
 * - `toolCalls`: `structured` (OpenAI `tool_calls` and `tool` messages) or `text` (for loaders that keep only
 *   `role` and `content`, such as torchtune's: each call is a JSON line `{"name", "parameters"}` in the
 *   assistant's content, tool results are `user` messages, and user messages in a row are joined into one).
 */
export interface ExportStyle {
  toolArguments: 'object' | 'string';
  toolCalls: 'structured' | 'text';
}

export const DEFAULT_EXPORT_STYLE: ExportStyle = { toolArguments: 'object', toolCalls: 'structured' };

export interface ExportToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

/** A message as training stacks read it: OpenAI chat fields only, content never null. */
export interface ExportMessage {
  role: ChatMessage['role'];
  content: string;
  tool_calls?: ExportToolCall[];
  tool_call_id?: string;
  name?: string;
  /** The reasoning the server returned with this assistant message (read by Qwen3-style templates and axolotl). */
  reasoning_content?: string;
}

/** A call's arguments as a JSON object, or undefined when the model wrote something else (bad JSON, an array …). */
export function argumentsObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One message in the structured form: `extra` dropped, a null content as '' (chat templates render a null content
 * as "None"), arguments as objects or as text. Arguments that are not a JSON object stay the text the model wrote.
 */
export function exportMessage(
  message: ChatMessage,
  style: Pick<ExportStyle, 'toolArguments'> = DEFAULT_EXPORT_STYLE,
  reasoning?: string,
): ExportMessage {
  const out: ExportMessage = { role: message.role, content: message.content ?? '' };
  if (message.tool_calls && message.tool_calls.length > 0)
    out.tool_calls = message.tool_calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: {
        name: call.function.name,
        arguments:
          style.toolArguments === 'object'
            ? (argumentsObject(call.function.arguments) ?? call.function.arguments)
            : call.function.arguments,
      },
    }));
  if (message.tool_call_id !== undefined) out.tool_call_id = message.tool_call_id;
  if (message.name !== undefined) out.name = message.name;
  if (reasoning !== undefined && message.role === 'assistant') out.reasoning_content = reasoning;
  return out;
}

/**
 * The reasoning an assistant message was sent back to its server with, as the policy keeps it on the message's
 * `extra`: a reasoning field the server returned (`reasoning_sent_back`), or the text of Anthropic's thinking
 * blocks (`thinking_blocks`, joined as the turn's reasoning is; redacted ones have none); undefined when none
 * went back.
 */
export function reasoningSentBack(message: ChatMessage): string | undefined {
  const kept = message.extra?.reasoning_sent_back as { text?: unknown } | undefined;
  if (typeof kept?.text === 'string') return kept.text;
  const blocks = message.extra?.thinking_blocks;
  const thinking = Array.isArray(blocks) ? blocks.filter(isThinkingBlock) : [];
  return thinking.length ? thinkingText(thinking) : undefined;
}

/** A block with readable thinking text; a log is read as it was written, so each block is checked. */
function isThinkingBlock(block: unknown): block is ThinkingBlock {
  const { type, thinking } = (block ?? {}) as { type?: unknown; thinking?: unknown };
  return type === 'thinking' && typeof thinking === 'string';
}

/** The turns' messages in the structured form, each turn's recorded reasoning on its assistant message. */
export function exportTurns(turns: readonly Turn[], style: ExportStyle = DEFAULT_EXPORT_STYLE): ExportMessage[] {
  return turns.flatMap((turn) => turn.messages.map((message) => exportMessage(message, style, turn.reasoning)));
}

/**
 * Messages in the consumer's form: as they are for `structured`; for `text`, tool calls folded into the
 * assistant's content, tool results made `user` messages, and each run of `user` messages joined into one, so
 * roles alternate as such loaders require.
 */
export function styled(messages: readonly ExportMessage[], style: ExportStyle): ExportMessage[] {
  if (style.toolCalls === 'structured') return [...messages];
  const out: ExportMessage[] = [];
  for (const message of messages) {
    const text = textMessage(message);
    const previous = out.at(-1);
    // Tool results then test feedback or a simulated user's reply, the task then a compaction note: torchtune
    // refuses two user messages in a row.
    if (text.role === 'user' && previous?.role === 'user') previous.content += `\n\n${text.content}`;
    else out.push(text);
  }
  return out;
}

/** One message with role and content only: its calls as JSON lines in its content, a tool result as a user's. */
function textMessage(message: ExportMessage): ExportMessage {
  if (message.role === 'tool') return { role: 'user', content: message.content };
  const lines = (message.tool_calls ?? []).map((call) =>
    JSON.stringify({ name: call.function.name, parameters: parsedArguments(call.function.arguments) }),
  );
  const text: ExportMessage = { role: message.role, content: [message.content, ...lines].filter(Boolean).join('\n') };
  if (message.name !== undefined) text.name = message.name;
  if (message.reasoning_content !== undefined) text.reasoning_content = message.reasoning_content;
  return text;
}

function parsedArguments(value: Record<string, unknown> | string): unknown {
  return typeof value === 'string' ? (argumentsObject(value) ?? value) : value;
}

/**
 * What a message says, as a chat template renders it: everything but the call ids, which a model server assigns
 * at random (two attempts making the same call get different ids) and Qwen2.5 / Llama 3 templates do not render.
 */
function messageIdentity(message: ExportMessage): string {
  const { role, content, name, reasoning_content, tool_calls } = message;
  return JSON.stringify([role, content, name, reasoning_content, tool_calls?.map((call) => call.function)]);
}

/** Identity of a conversation for deduplication: its messages (call ids aside) and tools. */
export function conversationKey(messages: ExportMessage[], tools: ToolSchema[]): string {
  return createHash('sha256')
    .update(JSON.stringify([messages.map(messageIdentity), tools]))
    .digest('base64');
}

/** Number of leading messages two conversations share, call ids aside. */
export function sharedPrefixLength(a: ExportMessage[], b: ExportMessage[]): number {
  let n = 0;
  while (n < a.length && n < b.length && messageIdentity(a[n]) === messageIdentity(b[n])) n += 1;
  return n;
}
