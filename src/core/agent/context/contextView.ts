/**
 * What a request holds of a conversation once context management has compacted it: a list of parts, each a
 * range of the conversation's messages or a message the harness put in place of others (a note, a summary,
 * a shortened observation). The last range is open-ended, so a view stays valid for the turns appended
 * after it, until the next compaction replaces it. A compaction event records its view; with the
 * conversation (every turn's messages, concatenated) it rebuilds each request exactly.
 */
import { isHarnessNote } from '../notes';
import type { ChatMessage } from '../policies/policy';

export type ViewPart = { from: number; to?: number } | { message: ChatMessage };

/** The whole conversation, uncompacted. */
export const FULL_VIEW: ViewPart[] = [{ from: 0 }];

/**
 * The messages a request sends under `view`. The conversation may be the loop's or a recorded trajectory's
 * (whose messages are the same, read back).
 */
export function requestMessages<M = ChatMessage>(conversation: readonly M[], view: readonly ViewPart[]): (M | ChatMessage)[] {
  return view.flatMap((part): (M | ChatMessage)[] =>
    'message' in part ? [part.message] : conversation.slice(part.from, part.to),
  );
}

/**
 * A conversation after its opening (the system prompt and task, before the first reply), cut into units:
 * a `turn` is a reply with the results answering it, led by any harness notes; a `followup` is a message from
 * the user, which compaction never drops.
 */
export interface Unit {
  kind: 'turn' | 'followup';
  start: number;
  /** Exclusive. */
  end: number;
}

export interface ConversationUnits {
  openingEnd: number;
  units: Unit[];
}

export function splitUnits(conversation: readonly ChatMessage[]): ConversationUnits {
  const firstReply = conversation.findIndex((message) => message.role === 'assistant');
  const openingEnd = firstReply < 0 ? conversation.length : firstReply;
  const units: Unit[] = [];
  let current: (Unit & { replied: boolean }) | undefined;
  const close = (end: number) => {
    if (current) units.push({ kind: current.kind, start: current.start, end });
    current = undefined;
  };
  for (let index = openingEnd; index < conversation.length; index++) {
    const message = conversation[index];
    if (message.role === 'user' && !isHarnessNote(message)) {
      close(index);
      units.push({ kind: 'followup', start: index, end: index + 1 });
    } else if (message.role === 'user' || message.role === 'assistant') {
      // A note or a reply after a reply starts the next turn; a note before a reply leads that reply's turn.
      if (current?.replied) close(index);
      current ??= { kind: 'turn', start: index, end: index, replied: false };
      if (message.role === 'assistant') current.replied = true;
    } else if (!current) {
      current = { kind: 'turn', start: index, end: index, replied: true };
    }
  }
  close(conversation.length);
  return { openingEnd, units };
}

/** Joins touching ranges and leaves the last range open-ended. */
export function normalizeView(parts: ViewPart[], length: number): ViewPart[] {
  const joined: ViewPart[] = [];
  for (const part of parts) {
    const last = joined[joined.length - 1];
    if (!('message' in part) && last && !('message' in last) && last.to === part.from) last.to = part.to;
    else joined.push('message' in part ? part : { ...part });
  }
  const last = joined[joined.length - 1];
  if (last && !('message' in last) && (last.to === undefined || last.to >= length)) delete last.to;
  else joined.push({ from: length });
  return joined;
}
