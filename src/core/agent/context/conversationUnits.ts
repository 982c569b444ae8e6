/**
 * A conversation cut into the units context management works with. The opening (the system prompt and the
 * task, before the first reply) always goes whole.
 */
import { isHarnessNote } from '../notes';
import type { ChatMessage } from '../policies/policy';

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
