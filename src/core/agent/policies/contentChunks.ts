/**
 * Replies whose content is a list of typed chunks, not a string: Mistral's reasoning models (`reasoning_effort`)
 * send their thinking as `{"type": "thinking", "thinking": [{"type": "text", "text": …}]}` before the answer's
 * `{"type": "text", "text": …}` chunks, in a whole reply and in a stream's deltas alike
 * (docs.mistral.ai/capabilities/reasoning). Read apart here, and written back in the same shape.
 */

import { PolicyError } from './policy';

export interface ChunkedContent {
  /** The answer's text: every text chunk's, in order. */
  text: string;
  /** The thinking chunks' text, in order; '' where the reply had none. */
  thinking: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** The answer and the thinking in a list of content chunks; refused, naming it, where a chunk is not an object. */
export function readContentChunks(chunks: readonly unknown[]): ChunkedContent {
  let text = '';
  let thinking = '';
  for (const chunk of chunks) {
    if (!isRecord(chunk)) throw new PolicyError(`the server sent a content chunk that is not an object: ${chunk}`);
    if (chunk.type === 'thinking') thinking += textOf(chunk.thinking);
    else if (typeof chunk.text === 'string') text += chunk.text;
  }
  return { text, thinking };
}

/** An assistant message's content as Mistral returned it: its thinking chunk, then its text, if any. */
export function contentChunksOf(thinking: string, text: string | null): Record<string, unknown>[] {
  return [
    { type: 'thinking', thinking: [{ type: 'text', text: thinking }] },
    ...(text ? [{ type: 'text', text }] : []),
  ];
}

/** A reply's content read apart: its text (null where it had none) and its thinking chunks' text, if any. */
export function contentApart(content: unknown): { text: string | null; thinking?: string } {
  if (content === undefined || content === null) return { text: null };
  if (typeof content === 'string') return { text: content };
  if (!Array.isArray(content))
    throw new PolicyError(
      `the server sent content that is neither text nor a list of chunks: ${JSON.stringify(content)}`,
    );
  const { text, thinking } = readContentChunks(content);
  return { text, ...(thinking ? { thinking } : {}) };
}
