import { createHash } from 'node:crypto';
import type { ChatMessage, ExitStatus, Observation, ToolCall, ToolSchema, Turn } from '../types';

export const CHAT_ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const MESSAGE_FIELDS = new Set(['role', 'content', 'tool_calls', 'tool_call_id', 'name']);

/** The bash tool as the imported agents used it: one shell command per call. */
export const IMPORTED_BASH_TOOL: ToolSchema = {
  type: 'function',
  function: {
    name: 'bash',
    description: 'Run a command in the agent shell and return its output.',
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  },
};

/** An error that names the file and field of a bad input. */
export function importError(file: string, where: string, message: string): Error {
  return new Error(`${file}: ${where}: ${message}`);
}

/**
 * The task id an imported run records: the id the file gives (`instance_id`), else one made from the file's name;
 * an empty one is no id, and a file that yields none is refused by name.
 */
export function importedTaskId(file: string, givenId: unknown, fromFileName: string): string {
  if (typeof givenId === 'string' && givenId !== '') return givenId;
  if (fromFileName !== '') return fromFileName;
  throw importError(file, 'instance_id', 'names no task, and the file name gives none (pass a task id)');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields of `value` not in `known`, or undefined when there are none. */
export function unknownFields(
  value: Record<string, unknown>,
  known: Iterable<string>,
): Record<string, unknown> | undefined {
  const skip = new Set(known);
  const rest = Object.fromEntries(Object.entries(value).filter(([key]) => !skip.has(key)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * A foreign message in this schema: chat fields kept, a list-of-parts content joined into text (the parts
 * kept in `extra`), every other field kept in `extra`.
 */
export function toChatMessage(raw: unknown, file: string, where: string): ChatMessage {
  if (!isRecord(raw)) throw importError(file, where, 'a message must be an object');
  const role = raw.role;
  if (typeof role !== 'string' || !CHAT_ROLES.has(role))
    throw importError(
      file,
      `${where}.role`,
      `must be one of system, user, assistant, tool (got ${JSON.stringify(role)})`,
    );
  const extra: Record<string, unknown> = {
    ...(isRecord(raw.extra) ? raw.extra : {}),
    ...unknownFields(raw, [...MESSAGE_FIELDS, 'extra']),
  };
  if (raw.extra !== undefined && !isRecord(raw.extra)) extra.extra = raw.extra;
  let content: string | null;
  if (typeof raw.content === 'string' || raw.content === null) content = raw.content;
  else if (raw.content === undefined) content = null;
  else if (Array.isArray(raw.content)) {
    content = partsText(raw.content);
    extra.content_parts = raw.content;
  } else throw importError(file, `${where}.content`, 'must be a string, null or a list of content parts');
  const message: ChatMessage = { role: role as ChatMessage['role'], content };
  if (raw.tool_calls !== undefined && raw.tool_calls !== null)
    message.tool_calls = toToolCalls(raw.tool_calls, file, `${where}.tool_calls`);
  if (raw.tool_call_id !== undefined) {
    if (typeof raw.tool_call_id !== 'string') throw importError(file, `${where}.tool_call_id`, 'must be a string');
    message.tool_call_id = raw.tool_call_id;
  } else if (Array.isArray(raw.tool_call_ids) && typeof raw.tool_call_ids[0] === 'string') {
    // SWE-agent 1.x: one observation answers the step's calls; it sends the model the first id, as here.
    message.tool_call_id = raw.tool_call_ids[0];
  }
  if (role === 'tool' && message.tool_call_id === undefined)
    throw importError(file, `${where}.tool_call_id`, 'a tool message needs the id of the call it answers');
  if (typeof raw.name === 'string') message.name = raw.name;
  if (Object.keys(extra).length > 0) message.extra = extra;
  return message;
}

/** The text of a list of content parts (`{type: 'text', text}`; other parts have none), or of a plain string. */
export function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

function toToolCalls(raw: unknown, file: string, where: string): ToolCall[] {
  if (!Array.isArray(raw)) throw importError(file, where, 'must be a list');
  return raw.map((call, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(call) || !isRecord(call.function))
      throw importError(file, at, 'must be {id, type: "function", function: {name, arguments}}');
    if (typeof call.function.name !== 'string') throw importError(file, `${at}.function.name`, 'must be a string');
    const args = call.function.arguments;
    return {
      id: typeof call.id === 'string' ? call.id : `call_${i}`,
      type: 'function',
      // Some writers store arguments as an object; the schema keeps the JSON text.
      function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
    };
  });
}

/**
 * Conversation → turns: each assistant message starts a turn that also holds the messages answering it;
 * messages before the first assistant message open turn 0.
 */
export function splitIntoTurns(messages: ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  let current: ChatMessage[] = [];
  let sawAssistant = false;
  for (const message of messages) {
    if (message.role === 'assistant' && sawAssistant) {
      turns.push(current);
      current = [];
    }
    if (message.role === 'assistant') sawAssistant = true;
    current.push(message);
  }
  if (current.length > 0) turns.push(current);
  return turns;
}

/**
 * Observations from tool messages answering the turn's tool calls: one per call a message answers (a SWE-agent
 * observation answers all of its step's calls, listed in `tool_call_ids`).
 */
export function toolObservations(messages: ChatMessage[]): Observation[] {
  const calls = new Map(messages.flatMap((message) => message.tool_calls ?? []).map((call) => [call.id, call]));
  return messages
    .filter((message) => message.role === 'tool')
    .flatMap((message) => {
      const listed = message.extra?.tool_call_ids;
      const ids = Array.isArray(listed) && listed.every((id) => typeof id === 'string') ? (listed as string[]) : [];
      return (ids.length > 0 ? ids : [message.tool_call_id ?? null]).map((id): Observation => {
        const call = calls.get(id ?? '');
        return {
          tool_call_id: id,
          tool: call?.function.name ?? message.name ?? 'unknown',
          ...(call ? { arguments: call.function.arguments } : {}),
          output: message.content ?? '',
          truncated: false,
        };
      });
    });
}

/**
 * Turns from a conversation: each assistant message and what answers it, observations from its tool messages,
 * and the reasoning a source kept on the assistant message (`reasoning_content`) as the turn's reasoning.
 */
export function turnsOf(messages: ChatMessage[]): Turn[] {
  return splitIntoTurns(messages).map((turnMessages, index) => {
    const turn: Turn = { index, messages: turnMessages, observations: toolObservations(turnMessages) };
    const assistant = turnMessages.find((message) => message.role === 'assistant');
    const reasoning = assistant?.extra?.reasoning_content;
    if (assistant?.extra && typeof reasoning === 'string') {
      const rest = { ...assistant.extra };
      delete rest.reasoning_content;
      if (Object.keys(rest).length > 0) assistant.extra = rest;
      else delete assistant.extra;
      turn.reasoning = reasoning;
    }
    return turn;
  });
}

/** A run id from a source's name, safe as a folder name, unique per content. */
export function importedRunId(prefix: string, name: string, content: string | Buffer): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  return `${prefix}-${safe || 'run'}-${hash}`;
}

/**
 * Exit statuses of runs the machinery ended, not the agent: SWE-agent's for a model API that kept failing
 * (`exit_api`, a RetryError) and for a runtime that broke (`exit_environment_error`, a SwerexException), in
 * sweagent/agent/agents.py; and, since mini-swe-agent records an uncaught exception by its class name, LiteLLM's
 * exceptions for a server that failed, refused the key or the model, or did not answer (docs.litellm.ai, exception
 * mapping) and a container command that failed to run.
 */
const INFRASTRUCTURE_STATUSES = new Set([
  'exit_api',
  'exit_environment_error',
  'apiconnectionerror',
  'apierror',
  'authenticationerror',
  'internalservererror',
  'notfounderror',
  'ratelimiterror',
  'serviceunavailableerror',
  'timeout',
  'apitimeouterror',
  'calledprocesserror',
  'dockerexception',
]);

/**
 * An exit status from another agent's words for it; the original is kept by the caller. SWE-agent writes a status
 * after which it still submitted the work tree as `submitted (STATUS)`: read by that status, so that a run the
 * machinery ended is unscored whether or not a patch was saved from it.
 */
export function mapExitStatus(status: unknown, hasSubmission: boolean): ExitStatus {
  const written = typeof status === 'string' ? status.toLowerCase().trim() : '';
  const text = /^submitted \((.+)\)$/.exec(written)?.[1] ?? written;
  if (INFRASTRUCTURE_STATUSES.has(text)) return 'infra_error';
  if (text === 'submitted') return 'submitted';
  if (text.includes('cost')) return 'cost_limit';
  if (text.includes('context') || text.includes('token')) return 'token_limit';
  // At the start of a word: RuntimeError is no time limit, nor a return a turn.
  if (/(?<![a-z])time/.test(text)) return 'time_limit';
  if (text.includes('step') || text.includes('limitsexceeded') || /(?<![a-z])turn/.test(text)) return 'turn_limit';
  if (text.includes('interrupt') || text.includes('cancel')) return 'cancelled';
  if (text.includes('error') || text.includes('format')) return 'error';
  return hasSubmission ? 'submitted' : 'error';
}
