import { basename } from 'node:path';
import type { ChatMessage, Observation, RunEvent, Trajectory, Turn } from '../types';
import type { ImportOptions } from './sweAgent';
import {
  CHAT_ROLES,
  IMPORTED_BASH_TOOL,
  importError,
  importedRunId,
  importedTaskId,
  isRecord,
  mapExitStatus,
  toChatMessage,
  turnsOf,
  unknownFields,
} from './shared';

/** mini-swe-agent's text actions: one fenced block, `bash` (v1) or `mswea_bash_command` (v2). */
const ACTION_BLOCK = /```(?:bash|mswea_bash_command)\s*\n([\s\S]*?)\n```/;

/**
 * A mini-swe-agent `.traj.json` as a trajectory of this project: the `{info, messages, trajectory_format}` file of
 * 1.x (`mini-swe-agent-1`) and 2.x (`mini-swe-agent-1.1`: actions and return codes in each message's `extra`,
 * tool-call models with `tool` messages, `reasoning_content`), or the bare message list of the earliest files.
 * Messages with roles outside chat format (the final `exit` message) become `source_message` events at their
 * place, so the conversation stays valid chat and nothing is lost.
 */
export function fromMiniSweAgentTraj(input: unknown, file: string, options: ImportOptions): Trajectory {
  const raw = Array.isArray(input) ? { messages: input } : input;
  if (!isRecord(raw))
    throw importError(file, '(top level)', 'a .traj.json file must hold a JSON object (or a list of messages)');
  if (!Array.isArray(raw.messages)) throw importError(file, 'messages', 'must be a list of messages');
  const info = isRecord(raw.info) ? raw.info : {};
  const chat: ChatMessage[] = [];
  const events: RunEvent[] = [];
  const pendingEvents: { afterMessage: number; message: unknown }[] = [];
  raw.messages.forEach((message, i) => {
    if (isRecord(message) && typeof message.role === 'string' && !CHAT_ROLES.has(message.role)) {
      pendingEvents.push({ afterMessage: chat.length, message });
    } else chat.push(toChatMessage(message, file, `messages[${i}]`));
  });
  const turns = turnsOf(chat).map((turn): Turn => ({ ...turn, observations: observationsOf(turn) }));
  let seen = 0;
  const turnEnds = turns.map((turn) => (seen += turn.messages.length));
  for (const pending of pendingEvents) {
    const afterTurn = turnEnds.filter((end) => end <= pending.afterMessage).length;
    events.push({
      kind: 'source_message',
      at: new Date(0).toISOString(),
      after_turn: afterTurn,
      data: { message: pending.message },
    });
  }

  const submission = typeof info.submission === 'string' ? info.submission : '';
  const stats = isRecord(info.model_stats) ? info.model_stats : {};
  const config = isRecord(info.config) ? info.config : {};
  const model = isRecord(config.model) ? config.model : {};
  const taskId =
    options.taskId ?? importedTaskId(file, raw.instance_id, basename(file).replace(/\.traj(\.json)?$/, ''));
  const topExtra = unknownFields(raw, ['info', 'messages']);
  return {
    run: {
      run_id: importedRunId('mini-swe-agent', taskId, options.content),
      task_id: taskId,
      attempt: 0,
      policy: 'import:mini-swe-agent',
      model: {
        name: typeof model.model_name === 'string' ? model.model_name : 'unknown',
        parameters: isRecord(model.model_kwargs) ? model.model_kwargs : {},
      },
      tools: [IMPORTED_BASH_TOOL],
      tool_versions: typeof info.mini_version === 'string' ? { 'mini-swe-agent': info.mini_version } : {},
      started_at: new Date(0).toISOString(),
      source: {
        format: 'mini-swe-agent',
        version: typeof raw.trajectory_format === 'string' ? raw.trajectory_format : 'message-list',
        path: file,
      },
      ...(topExtra ? { extra: topExtra } : {}),
    },
    turns,
    events,
    result: {
      exit_status: mapExitStatus(info.exit_status, submission.trim() !== ''),
      ended_at: new Date(0).toISOString(),
      patch: submission,
      reward: null,
      totals: {
        turns: turns.length,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: typeof stats.instance_cost === 'number' && stats.instance_cost >= 0 ? stats.instance_cost : null,
        duration_ms: 0,
      },
      extra: { source_info: info },
    },
  };
}

/**
 * Tool-call turns (2.x tool-call models) answer with tool messages; text turns with the next user message. The
 * command is the one 2.x parsed into the message's `extra.actions`, else the fenced block of the reply; the exit
 * status is the observation's `extra.returncode` where 2.x recorded it.
 */
function observationsOf(turn: Turn): Observation[] {
  const { messages } = turn;
  const exitCode = (message: ChatMessage | undefined) =>
    typeof message?.extra?.returncode === 'number' ? { exit_code: message.extra.returncode } : {};
  if (turn.observations.length > 0)
    return turn.observations.map((observation) => ({
      ...observation,
      ...exitCode(messages.find((message) => message.tool_call_id === observation.tool_call_id)),
    }));
  const at = messages.findIndex((message) => message.role === 'assistant');
  const reply = messages.slice(at + 1).find((message) => message.role === 'user');
  const command = at === -1 ? undefined : parsedCommand(messages[at]);
  if (command === undefined || !reply) return [];
  return [
    {
      tool_call_id: null,
      tool: 'bash',
      arguments: JSON.stringify({ command }),
      output: reply.content ?? '',
      truncated: false,
      ...exitCode(reply),
    },
  ];
}

function parsedCommand(assistant: ChatMessage): string | undefined {
  const actions = assistant.extra?.actions;
  const first = Array.isArray(actions) && isRecord(actions[0]) ? actions[0].command : undefined;
  if (typeof first === 'string') return first;
  return ACTION_BLOCK.exec(assistant.content ?? '')?.[1];
}
