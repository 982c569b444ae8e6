/**
 * Reasoning a model writes in its reply's text as `<think>…</think>` (DeepSeek-R1, Qwen3, QwQ, GLM-4.5, MiniMax-M2
 * and others), where the server returns it unparsed: vLLM or SGLang started without `--reasoning-parser`, llama.cpp
 * with `--reasoning-format none`, TGI, which has no reasoning parser. It is read apart from the answer as a reasoning
 * parser reads it, so that the record, calls written as text and every export see what a server that parsed it would
 * have returned; the reply goes back to the server as it came, since the model's chat template decides what of it the
 * model sees again (MiniMax-M2's wants all of it).
 */
import type { AssistantMessage, InlineReasoning, ReplyDelta } from './policy';

const OPENING_TAG = '<think>';
const CLOSING_TAG = '</think>';
const CALL_TAG = '<tool_call>';
/**
 * What answers are written with: a fenced block left open, a call written as text (textToolCalls.ts), an opening tag.
 * (Closed fenced blocks are written in thoughts too: DeepSeek-R1 and Qwen3 think through code.)
 */
const ANSWER_MARKUP = new RegExp(
  [
    '```',
    '<tool_call>',
    '<function=',
    '<minimax:tool_call>',
    '<\\|tool_calls_section_begin\\|>',
    '<｜tool▁calls▁begin｜>',
    '^\\s*\\{',
    '<think>',
  ].join('|'),
);
const OPENING = /^\s*<think>/;
/** A Qwen3-Coder call (Qwen3.5 writes one inside its thought, which it then ends without a closing tag). */
const QWEN3_CODER_CALL = /<tool_call>(?=\s*<function[\s=])/;
const FENCED_BLOCK = /```[\s\S]*?```/g;

/** The message with the reasoning its text holds kept apart; as it is when the server returned its reasoning apart. */
export function withInlineReasoningApart(message: AssistantMessage): AssistantMessage {
  if (message.extra?.reasoning_sent_back || typeof message.content !== 'string') return message;
  const found = inlineReasoning(message.content);
  if (!found) return message;
  const { answer, ...reasoning } = found;
  return {
    ...message,
    content: answer || (message.tool_calls?.length ? null : ''),
    extra: { ...message.extra, reasoning_sent_back: reasoning },
  };
}

/**
 * The reasoning in a reply's text, read as vLLM's `<think>` reasoning parsers read a whole reply: from the model's
 * opening tag, or from the start where the chat template put that tag in the prompt, to the first closing tag, and
 * all of it in a reply cut off before one, or up to a call that ends it (unclosedThought). Unlike them, a reply with
 * neither tag holds none (the model may not reason at all), and only an opening tag that starts the reply opens
 * reasoning.
 */
function inlineReasoning(text: string): (InlineReasoning & { answer: string }) | undefined {
  const before = OPENING.exec(text)?.[0] ?? '';
  const rest = text.slice(before.length);
  const close = rest.indexOf(CLOSING_TAG);
  if (close === -1) return before ? unclosedThought(before, rest) : undefined;
  if (!before && !endsThought(rest.slice(0, close))) return undefined;
  const answer = rest.slice(close + CLOSING_TAG.length);
  return { field: 'content', before, text: rest.slice(0, close), after: CLOSING_TAG, answer };
}

/**
 * A thought the model opened and did not close: all of the reply when it was cut off while thinking; up to its first
 * Qwen3-Coder call where it wrote one (Qwen3.5 does, as vLLM's qwen3 parser reads it).
 */
function unclosedThought(before: string, rest: string): InlineReasoning & { answer: string } {
  const call = QWEN3_CODER_CALL.exec(rest)?.index ?? rest.length;
  return { field: 'content', before, text: rest.slice(0, call), after: '', answer: rest.slice(call) };
}

/**
 * Whether the text before a closing tag with no opening one is a thought the tag ends: the tag starts a line, as
 * reasoning models write it, outside a fenced block, and the text outside its fenced blocks holds none of an answer's
 * markup. Otherwise the tag is more likely text of the answer (a tag the model explains, a file it searches or edits
 * in a fenced command or a call written as text).
 */
function endsThought(before: string): boolean {
  return (before === '' || before.endsWith('\n')) && !ANSWER_MARKUP.test(before.replace(FENCED_BLOCK, ''));
}

/**
 * `onDelta` given the reasoning of a reply that opens with `<think>` as reasoning while the reply streams, and what
 * follows its closing tag, or a Qwen3-Coder call that ends it, as text, so that the turn shows live as it is recorded;
 * other pieces pass as they come. (A thought the chat template opened shows as text until the reply is whole; so does a
 * call the model wrote in a thought it then closed, which the record keeps in the thought.) One per streamed attempt.
 */
export function withStreamedReasoningApart(onDelta: (delta: ReplyDelta) => void): (delta: ReplyDelta) => void {
  let part: 'undecided' | 'reasoning' | 'answer' = 'undecided';
  let held = '';
  const pass = (kind: 'content' | 'reasoning', text: string) => {
    if (text) onDelta({ kind, text });
  };
  return (delta) => {
    if (delta.kind !== 'content') return onDelta(delta);
    held += delta.text;
    if (part === 'undecided') {
      const start = held.trimStart();
      if (OPENING_TAG.startsWith(start)) return;
      if (!start.startsWith(OPENING_TAG)) part = 'answer';
      else [part, held] = ['reasoning', start.slice(OPENING_TAG.length)];
    }
    if (part === 'reasoning') {
      const end = thoughtEnd(held);
      const thought = held.slice(0, end?.at ?? held.length - heldBackAtEnd(held));
      pass('reasoning', thought);
      held = held.slice(end ? end.at + end.length : thought.length);
      if (!end) return;
      part = 'answer';
    }
    pass('content', held);
    held = '';
  };
}

/** Where a streamed thought ends: its closing tag (dropped from the text), or a Qwen3-Coder call (kept). */
function thoughtEnd(text: string): { at: number; length: number } | undefined {
  const close = text.indexOf(CLOSING_TAG);
  const call = QWEN3_CODER_CALL.exec(text)?.index ?? -1;
  if (call !== -1 && (close === -1 || call < close)) return { at: call, length: 0 };
  return close === -1 ? undefined : { at: close, length: CLOSING_TAG.length };
}

/**
 * How many characters at the end of `text` may begin what ends a thought, to hold back until the next piece: a
 * closing tag or a call tag begun, or a call tag not yet followed by the function that makes it a call.
 */
function heldBackAtEnd(text: string): number {
  const call = text.lastIndexOf(CALL_TAG);
  const awaitingFunction = call !== -1 && '<function'.startsWith(text.slice(call + CALL_TAG.length).trimStart());
  const begun = Math.max(tagStartAtEnd(text, CLOSING_TAG), tagStartAtEnd(text, CALL_TAG));
  return awaitingFunction ? Math.max(text.length - call, begun) : begun;
}

/** How many characters at the end of `text` may begin `tag`. */
function tagStartAtEnd(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--)
    if (tag.startsWith(text.slice(-length))) return length;
  return 0;
}
