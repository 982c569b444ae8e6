import { createHash } from 'node:crypto';
import type { ChatMessage, ToolSchema } from '../trajectory/types';

/** A message as training stacks read it: OpenAI chat fields only, content never null. */
export interface ExportMessage {
  role: ChatMessage['role'];
  content: string;
  tool_calls?: ChatMessage['tool_calls'];
  tool_call_id?: string;
  name?: string;
}

/**
 * Drops `extra` and turns a null content into '' (chat templates render a null content as "None").
 */
export function exportMessage(message: ChatMessage): ExportMessage {
  const out: ExportMessage = { role: message.role, content: message.content ?? '' };
  if (message.tool_calls && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
  if (message.tool_call_id !== undefined) out.tool_call_id = message.tool_call_id;
  if (message.name !== undefined) out.name = message.name;
  return out;
}

/** Identity of a conversation for deduplication: the exported messages and tools, byte for byte. */
export function conversationKey(messages: ExportMessage[], tools: ToolSchema[]): string {
  return createHash('sha256')
    .update(JSON.stringify([messages, tools]))
    .digest('base64');
}

/** Number of leading messages two conversations share. */
export function sharedPrefixLength(a: ExportMessage[], b: ExportMessage[]): number {
  let n = 0;
  while (n < a.length && n < b.length && JSON.stringify(a[n]) === JSON.stringify(b[n])) n += 1;
  return n;
}
