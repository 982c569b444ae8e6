/**
 * What a model call was actually sent, when that was not the whole conversation (after a compaction). The
 * record names ranges of the conversation's messages and holds only the messages that are not in it (a
 * note, a summary), so it costs a few bytes per turn however long the conversation is.
 */
import {
  changesMessages,
  messagesAsSent,
  refusedFromTheStart,
  type SendableMessage,
} from '../agent/policies/requestAsSent';
import type { QuirkName } from '../agent/policies/serverErrors';
import type { AssistantMessage } from '../agent/policies/policy';
import type { ChatMessage, RequestPart, RunEvent, Trajectory, Turn } from './types';

/**
 * The parts of `sent` as ranges of `conversation` where `sent` reuses its message objects, and as whole
 * messages where it does not; null when `sent` is exactly `conversation`.
 */
export function describeRequest<M extends object>(
  conversation: readonly M[],
  sent: readonly M[],
): RequestPart[] | null {
  if (sent.length === conversation.length && sent.every((message, i) => message === conversation[i])) return null;
  const position = new Map<M, number>(conversation.map((message, i) => [message, i]));
  const parts: RequestPart[] = [];
  for (const message of sent) {
    const at = position.get(message);
    const last = parts.at(-1);
    if (at === undefined) parts.push({ message: message as unknown as ChatMessage });
    else if (last && 'messages' in last && last.messages[1] === at) last.messages[1] = at + 1;
    else parts.push({ messages: [at, at + 1] });
  }
  return parts;
}

/** The request a `describeRequest` record stands for, given the conversation as recorded. */
export function rebuildRequest<M>(
  parts: readonly RequestPart[],
  conversation: readonly M[],
  where: string,
): (M | ChatMessage)[] {
  return parts.flatMap((part): (M | ChatMessage)[] => {
    if ('message' in part) return [part.message];
    const [from, to] = part.messages;
    if (!(from < to && to <= conversation.length))
      throw new Error(
        `${where}: request range [${from}, ${to}) is outside the ${conversation.length} messages before it`,
      );
    return conversation.slice(from, to);
  });
}

/**
 * The request turn `turnIndex` was sent, given `history`, the conversation before its reply. A `compaction`
 * event's `request` is the request of turn `after_turn` and of every later turn until the next compaction;
 * a later turn also sends the messages the conversation gained since (those past `conversation_length`).
 * Turns before any compaction were sent the whole history.
 */
export function requestOfTurn<M>(
  events: readonly RunEvent[],
  turnIndex: number,
  history: readonly M[],
  where: string,
): (M | ChatMessage)[] {
  const compaction = [...events]
    .reverse()
    .find(
      (event) => event.kind === 'compaction' && event.after_turn <= turnIndex && Array.isArray(event.data?.request),
    );
  if (!compaction) return [...history];
  const parts = compaction.data!.request as RequestPart[];
  const length = compaction.data!.conversation_length;
  if (compaction.after_turn === turnIndex || typeof length !== 'number') return rebuildRequest(parts, history, where);
  return [...rebuildRequest(parts, history.slice(0, length), where), ...history.slice(length)];
}

/**
 * The request turn `turnIndex` was sent as the policy sent it: as `requestOfTurn` rebuilds it, then changed as the
 * server's refusals so far made the policy change every request from the one it refused on (the turns'
 * `workarounds`), and as the run's backend always changes it.
 */
export function requestAsSentOfTurn<M extends SendableMessage>(
  trajectory: Pick<Trajectory, 'run' | 'turns' | 'events'>,
  turnIndex: number,
  history: readonly M[],
  where: string,
): (M | ChatMessage | AssistantMessage)[] {
  const request = requestOfTurn(trajectory.events, turnIndex, history, where);
  return messagesAsSent(request, refusalsUpTo(trajectory, turnIndex));
}

/**
 * Every refusal of messages worked around up to the turn. A turn's `workarounds` name every quirk its request was
 * sent around; older logs name a quirk only on the turn the server showed it, hence the union over turns.
 */
function refusalsUpTo(trajectory: Pick<Trajectory, 'run' | 'turns'>, turnIndex: number): ReadonlySet<QuirkName> {
  const refused = new Set(refusedFromTheStart(trajectory.run.model.provider ?? ''));
  for (const turn of trajectory.turns.filter((earlier) => earlier.index <= turnIndex))
    for (const quirk of workaroundsOfTurn(turn)) if (changesMessages(quirk)) refused.add(quirk);
  return refused;
}

/** The server quirks the request of a recorded turn was worked around for (`extra.workarounds`). */
export function workaroundsOfTurn(turn: Pick<Turn, 'extra'>): string[] {
  const workarounds = turn.extra?.workarounds;
  return Array.isArray(workarounds) ? workarounds.filter((quirk) => typeof quirk === 'string') : [];
}
