import { basename } from 'node:path';
import type { ChatMessage, RunEvent, ToolSchema, Trajectory, Turn } from '../types';
import type { ImportOptions } from './sweAgent';
import {
  importError,
  importedRunId,
  importedTaskId,
  isRecord,
  mapExitStatus,
  partsText,
  toChatMessage,
  turnsOf,
  unknownFields,
} from './shared';

/** The per-turn facts OpenHands keeps with each model response. */
interface ResponseFacts {
  model?: string;
  system_fingerprint?: string;
  tokens?: Turn['tokens'];
}

/**
 * An OpenHands event stream as a trajectory of this project: the list of events a session saves (or an
 * evaluation output record holding it under `history`, with `instance_id` and `test_result.git_patch`), in
 * the event format of OpenHands 0.x (`action` / `observation` events) or of the 1.x software-agent SDK
 * (events named by `kind`: `SystemPromptEvent`, `MessageEvent`, `ActionEvent`, `ObservationEvent` …).
 * Actions become messages as the model saw them: a model response is one assistant message with all of its
 * tool calls (OpenHands writes one action event per call, each carrying the response), an observation that
 * answers a call is its `tool` message, user messages stay user messages, and an observation no call asked
 * for is shown to the model as a user message. Events with no place in a conversation (agent state changes,
 * recalls, token ids) become `source_message` events at their place.
 */
export function fromOpenHandsEvents(raw: unknown, file: string, options: ImportOptions): Trajectory {
  const record = Array.isArray(raw) ? { history: raw } : raw;
  if (!isRecord(record) || !Array.isArray(record.history))
    throw importError(file, '(top level)', 'must be a list of OpenHands events, or an object with a `history` list');
  const stream = new EventStream(file);
  record.history.forEach((event, i) => stream.add(event, `history[${i}]`));
  const turns = turnsOf(stream.end()).map((turn) => stream.completeTurn(turn));

  const testResult = isRecord(record.test_result) ? record.test_result : {};
  // Evaluations keep the patch in `test_result`; the resolver's records at the top level.
  const patch = ([testResult.git_patch, record.git_patch].find((value) => typeof value === 'string') as string) ?? '';
  const metadata = isRecord(record.metadata) ? record.metadata : {};
  // 0.x evaluations keep the model under `llm_config`, 1.x under `llm`.
  const llm = isRecord(metadata.llm_config) ? metadata.llm_config : isRecord(metadata.llm) ? metadata.llm : {};
  // `out.jsonl: line 2` (a record of an output file) → `out-2`
  const fromFileName = basename(file)
    .replace(/\.jsonl?(?=$|: line)/, '')
    .replace(/: line (\d+)$/, '-$1');
  const taskId = options.taskId ?? importedTaskId(file, record.instance_id, fromFileName);
  const topExtra = unknownFields(record, ['history', 'test_result', 'metadata', 'git_patch']);
  return {
    run: {
      run_id: importedRunId('openhands', taskId, options.content),
      task_id: taskId,
      attempt: 0,
      policy: 'import:openhands',
      model: { name: stream.model ?? (typeof llm.model === 'string' ? llm.model : 'unknown'), parameters: {} },
      tools: stream.tools(),
      tool_versions: typeof metadata.openhands_version === 'string' ? { openhands: metadata.openhands_version } : {},
      started_at: stream.startedAt ?? new Date(0).toISOString(),
      source: {
        format: 'openhands',
        ...(typeof metadata.openhands_version === 'string' ? { version: metadata.openhands_version } : {}),
        path: file,
      },
      ...(topExtra || Object.keys(metadata).length
        ? { extra: { ...topExtra, ...(Object.keys(metadata).length ? { metadata } : {}) } }
        : {}),
    },
    turns,
    events: stream.events(turns),
    result: {
      exit_status: stream.finished ? 'submitted' : mapExitStatus(stream.agentState, patch.trim() !== ''),
      ended_at: stream.endedAt ?? new Date(0).toISOString(),
      patch,
      reward: null,
      ...(Object.keys(testResult).length ? { extra: { source_test_result: testResult } } : {}),
    },
  };
}

/** The actions a text-action agent (before function calling) ran for the model; others are bookkeeping. */
const TEXT_ACTIONS = new Set([
  'run',
  'run_ipython',
  'read',
  'write',
  'edit',
  'browse',
  'browse_interactive',
  'delegate',
  'think',
  'mcp',
]);
/** The fields every 0.x event has besides its action's own. */
const EVENT_FIELDS = ['id', 'timestamp', 'source', 'action', 'message', 'cause', 'args', 'extras', 'is_confirmed'];

class EventStream {
  readonly messages: ChatMessage[] = [];
  model?: string;
  startedAt?: string;
  endedAt?: string;
  finished = false;
  agentState?: string;
  private systemTools?: ToolSchema[];
  private readonly calledTools = new Set<string>();
  private readonly facts = new Map<ChatMessage, ResponseFacts>();
  private readonly responses = new Set<string>();
  /** Text actions' synthetic calls by the id of their event, and the latest one not yet answered. */
  private readonly textCalls = new Map<unknown, { id: string; name: string }>();
  private lastTextCall?: { id: string; name: string };
  /** The 1.x SDK response whose action events are being gathered into one assistant message. */
  private pendingResponse?: { id: string; where: string; message: Record<string, unknown> };
  /** Events with no place in the conversation, and how many messages came before each. */
  private readonly asides: { afterMessage: number; event: unknown }[] = [];

  constructor(private readonly file: string) {}

  add(event: unknown, where: string): void {
    if (!isRecord(event)) throw importError(this.file, where, 'an event must be an object');
    const at = timestampOf(event);
    if (at) {
      this.startedAt ??= at;
      this.endedAt = at;
    }
    if (typeof event.kind === 'string') return this.addSdkEvent(event, event.kind, where);
    const args = isRecord(event.args) ? event.args : {};
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    const metadata = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : undefined;
    if (typeof event.observation === 'string') return this.addObservation(event, where);
    // The oldest files have no `source` (and no `args`: an action's fields are the event's): a message before the
    // agent's first action is the task, one after it the agent's; every other action is the agent's.
    const hasAssistant = this.messages.some((message) => message.role === 'assistant');
    const source =
      typeof event.source === 'string' ? event.source : event.action === 'message' && !hasAssistant ? 'user' : 'agent';
    const content = text(args.content) || text(event.message) || text(event.content);
    if (event.action === 'system') {
      if (Array.isArray(args.tools)) this.systemTools = args.tools as ToolSchema[];
      this.push({ role: 'system', content }, where);
    } else if (source === 'user' && event.action === 'message') this.push({ role: 'user', content }, where);
    else if (source === 'agent' && metadata) this.addToolCall(event, metadata, args, where);
    else if (source === 'agent' && (event.action === 'message' || event.action === 'finish')) {
      this.finished ||= event.action === 'finish';
      this.push({ role: 'assistant', content: content || text(args.thought) || text(event.thought) }, where);
    } else if (source === 'agent' && TEXT_ACTIONS.has(String(event.action))) this.addTextAction(event, args, where);
    else this.asides.push({ afterMessage: this.messages.length, event });
  }

  /**
   * An action of the text-action agents (before function calling): the model wrote its thought and a command
   * block, kept as the thought and the action's fields. It becomes an assistant message with one call (named by
   * the action, its id made from the event's) that the observation it caused answers.
   */
  private addTextAction(event: Record<string, unknown>, args: Record<string, unknown>, where: string): void {
    const fields = isRecord(event.args) ? args : (unknownFields(event, EVENT_FIELDS) ?? {});
    const thought = typeof fields.thought === 'string' ? fields.thought : '';
    const id = `openhands-${typeof event.id === 'number' || typeof event.id === 'string' ? event.id : this.messages.length}`;
    const name = String(event.action);
    this.push(
      {
        role: 'assistant',
        content: thought || null,
        tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(callArguments(fields)) } }],
      },
      where,
    );
    this.calledTools.add(name);
    this.textCalls.set(event.id ?? id, { id, name });
    this.lastTextCall = { id, name };
  }

  /**
   * A 1.x SDK event. Its `ActionEvent`s of one model response (`llm_response_id`) are one assistant message:
   * they are gathered until another event comes, then written as one.
   */
  private addSdkEvent(event: Record<string, unknown>, kind: string, where: string): void {
    if (kind === 'ActionEvent') return this.addSdkAction(event, where);
    this.flushSdkResponse();
    const message = isRecord(event.llm_message) ? event.llm_message : undefined;
    if (kind === 'SystemPromptEvent') {
      if (Array.isArray(event.tools)) this.systemTools = event.tools.map(sdkToolSchema);
      const context = isRecord(event.dynamic_context) ? [event.dynamic_context] : [];
      this.push({ role: 'system', content: partsText([event.system_prompt, ...context]) }, where);
    } else if (kind === 'MessageEvent' && message && typeof message.role === 'string') {
      const extended = Array.isArray(event.extended_content) ? event.extended_content : [];
      this.push(
        {
          role: message.role,
          content: partsText(message.content) + partsText(extended),
          ...reasoningOf(message),
        },
        where,
      );
    } else if (kind === 'ObservationEvent' || kind === 'UserRejectObservation' || kind === 'AgentErrorEvent') {
      const observation = isRecord(event.observation) ? event.observation : {};
      const metadata = isRecord(observation.metadata) ? observation.metadata : {};
      const exitCode = typeof observation.exit_code === 'number' ? observation.exit_code : metadata.exit_code;
      const content =
        kind === 'AgentErrorEvent'
          ? event.error
          : kind === 'UserRejectObservation'
            ? event.rejection_reason
            : partsText(observation.content);
      this.push(
        {
          role: 'tool',
          tool_call_id: event.tool_call_id,
          content: typeof content === 'string' ? content : '',
          ...(typeof event.tool_name === 'string' ? { name: event.tool_name } : {}),
          ...(typeof exitCode === 'number' ? { exit_code: exitCode } : {}),
          ...(kind !== 'ObservationEvent' ? { openhands_kind: kind } : {}),
        },
        where,
      );
    } else {
      if (
        kind === 'ConversationStateUpdateEvent' &&
        event.key === 'execution_status' &&
        typeof event.value === 'string'
      )
        this.agentState = event.value;
      this.asides.push({ afterMessage: this.messages.length, event });
    }
  }

  private addSdkAction(event: Record<string, unknown>, where: string): void {
    const call = isRecord(event.tool_call) ? event.tool_call : {};
    const responseId = typeof event.llm_response_id === 'string' ? event.llm_response_id : String(event.id);
    if (this.pendingResponse?.id !== responseId) {
      this.flushSdkResponse();
      this.pendingResponse = {
        id: responseId,
        where,
        message: {
          role: 'assistant',
          content: partsText(event.thought) || null,
          tool_calls: [],
          ...reasoningOf(event),
        },
      };
    }
    this.finished ||= event.tool_name === 'finish';
    (this.pendingResponse.message.tool_calls as unknown[]).push({
      id: typeof call.id === 'string' ? call.id : event.tool_call_id,
      type: 'function',
      function: { name: typeof call.name === 'string' ? call.name : event.tool_name, arguments: call.arguments },
    });
  }

  private flushSdkResponse(): void {
    if (!this.pendingResponse) return;
    const pushed = this.push(this.pendingResponse.message, this.pendingResponse.where);
    for (const call of pushed.tool_calls ?? []) this.calledTools.add(call.function.name);
    this.pendingResponse = undefined;
  }

  /** The conversation, once every event is in. */
  end(): ChatMessage[] {
    this.flushSdkResponse();
    return this.messages;
  }

  /** One assistant message per model response, holding every call of it; the later events of it add nothing. */
  private addToolCall(
    event: Record<string, unknown>,
    metadata: Record<string, unknown>,
    args: Record<string, unknown>,
    where: string,
  ): void {
    this.finished ||= event.action === 'finish';
    const response = isRecord(metadata.model_response) ? metadata.model_response : undefined;
    const responseId = typeof response?.id === 'string' ? response.id : String(metadata.tool_call_id);
    if (this.responses.has(responseId)) return;
    this.responses.add(responseId);
    const choice = Array.isArray(response?.choices) && isRecord(response.choices[0]) ? response.choices[0] : {};
    const message = isRecord(choice.message) ? choice.message : undefined;
    const assistant = message
      ? { role: 'assistant', content: message.content ?? null, tool_calls: message.tool_calls, ...reasoningOf(message) }
      : {
          // No response kept: the call as the action recorded it.
          role: 'assistant',
          content: typeof args.thought === 'string' ? args.thought : null,
          tool_calls: [
            {
              id: metadata.tool_call_id,
              type: 'function',
              function: { name: metadata.function_name, arguments: JSON.stringify(callArguments(args)) },
            },
          ],
        };
    const pushed = this.push(assistant, where);
    for (const call of pushed.tool_calls ?? []) this.calledTools.add(call.function.name);
    const facts = responseFacts(response);
    if (facts.model) this.model ??= facts.model;
    this.facts.set(pushed, facts);
  }

  private addObservation(event: Record<string, unknown>, where: string): void {
    const metadata = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : undefined;
    const content = typeof event.content === 'string' ? event.content : '';
    if (event.observation === 'agent_state_changed') {
      const extras = isRecord(event.extras) ? event.extras : {};
      if (typeof extras.agent_state === 'string') this.agentState = extras.agent_state;
    }
    if (metadata && typeof metadata.tool_call_id === 'string') {
      const extras = isRecord(event.extras) ? event.extras : {};
      const inner = isRecord(extras.metadata) ? extras.metadata : {};
      const exitCode = typeof inner.exit_code === 'number' ? inner.exit_code : extras.exit_code;
      this.push(
        {
          role: 'tool',
          tool_call_id: metadata.tool_call_id,
          content,
          ...(typeof metadata.function_name === 'string' ? { name: metadata.function_name } : {}),
          ...(typeof exitCode === 'number' ? { exit_code: exitCode } : {}),
        },
        where,
      );
      return;
    }
    // A text action's output: the observation it caused (by `cause`, or, in files without ids, the next one).
    const textCall = event.cause !== undefined ? this.textCalls.get(event.cause) : this.lastTextCall;
    if (textCall && event.observation !== 'agent_state_changed' && event.observation !== 'null') {
      const extras = isRecord(event.extras) ? event.extras : event;
      const exitCode = extras.exit_code;
      this.lastTextCall = undefined;
      this.push(
        {
          role: 'tool',
          tool_call_id: textCall.id,
          name: textCall.name,
          content,
          ...(typeof exitCode === 'number' ? { exit_code: exitCode } : {}),
        },
        where,
      );
      return;
    }
    // What OpenHands shows the model without a call asking for it (an error, a user's interrupt) is a user turn.
    if (content && event.observation !== 'agent_state_changed' && event.observation !== 'null')
      this.push({ role: 'user', content }, where);
    else this.asides.push({ afterMessage: this.messages.length, event });
  }

  private push(message: Record<string, unknown>, where: string): ChatMessage {
    const converted = toChatMessage(message, this.file, where);
    this.messages.push(converted);
    return converted;
  }

  /** The turn with what OpenHands kept about its model call, and the exit codes of its commands. */
  completeTurn(turn: Turn): Turn {
    const assistant = turn.messages.find((message) => message.role === 'assistant');
    const facts = assistant ? this.facts.get(assistant) : undefined;
    const exitCodes = new Map(
      turn.messages
        .filter((message) => message.role === 'tool' && typeof message.extra?.exit_code === 'number')
        .map((message) => [message.tool_call_id, message.extra?.exit_code as number]),
    );
    return {
      ...turn,
      ...facts,
      observations: turn.observations.map((observation) => {
        const exitCode = exitCodes.get(observation.tool_call_id ?? undefined);
        return exitCode === undefined ? observation : { ...observation, exit_code: exitCode };
      }),
    };
  }

  /** The tools the session declared, or, when it kept none, the names of the tools it called. */
  tools(): ToolSchema[] {
    if (this.systemTools) return this.systemTools;
    return [...this.calledTools].map((name) => ({ type: 'function', function: { name } }));
  }

  events(turns: Turn[]): RunEvent[] {
    let seen = 0;
    const turnEnds = turns.map((turn) => (seen += turn.messages.length));
    return this.asides.map(({ afterMessage, event }) => ({
      kind: 'source_message',
      at: (isRecord(event) && timestampOf(event)) || new Date(0).toISOString(),
      after_turn: turnEnds.filter((end) => end <= afterMessage).length,
      data: { message: event },
    }));
  }
}

/** A 1.x SDK tool definition (name in `title`, the schema of its action by type name only) as a tool schema. */
function sdkToolSchema(tool: unknown): ToolSchema {
  const definition = isRecord(tool) ? tool : {};
  const annotations = isRecord(definition.annotations) ? definition.annotations : {};
  const name = [definition.name, definition.title, annotations.title].find((value) => typeof value === 'string');
  return {
    type: 'function',
    function: {
      name: (name as string | undefined) ?? 'unknown',
      ...(typeof definition.description === 'string' ? { description: definition.description } : {}),
    },
  };
}

function reasoningOf(message: Record<string, unknown>): Record<string, unknown> {
  return typeof message.reasoning_content === 'string' ? { reasoning_content: message.reasoning_content } : {};
}

/** An action's own arguments, without the fields OpenHands adds to every action. */
function callArguments(args: Record<string, unknown>): Record<string, unknown> {
  const bookkeeping = ['thought', 'impl_source', 'translated_ipython_code', 'security_risk', 'action_risk'];
  return unknownFields(args, [...bookkeeping, 'keep_prompt', 'kernel_init_code', 'is_confirmed']) ?? {};
}

function responseFacts(response: Record<string, unknown> | undefined): ResponseFacts {
  if (!response) return {};
  const usage = isRecord(response.usage) ? response.usage : {};
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  const cached = count(details.cached_tokens);
  const reasoning = count(completion.reasoning_tokens);
  return {
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(typeof response.system_fingerprint === 'string' ? { system_fingerprint: response.system_fingerprint } : {}),
    ...(input !== undefined && output !== undefined
      ? {
          tokens: {
            input,
            output,
            ...(cached !== undefined ? { cached_input: cached } : {}),
            ...(reasoning !== undefined ? { reasoning } : {}),
          },
        }
      : {}),
  };
}

/** An event's own time, when it gives one (an empty string gives none). */
function timestampOf(event: Record<string, unknown>): string | undefined {
  return typeof event.timestamp === 'string' && event.timestamp !== '' ? event.timestamp : undefined;
}
