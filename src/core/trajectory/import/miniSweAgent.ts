import { basename } from 'node:path';
import type { ChatMessage, Observation, RunEvent, Trajectory, Turn } from '../types';
import type { ImportOptions } from './sweAgent';
import {
  CHAT_ROLES,
  IMPORTED_BASH_TOOL,
  importError,
  importedRunId,
  isRecord,
  mapExitStatus,
  splitIntoTurns,
  toChatMessage,
  toolObservations,
  unknownFields,
} from './shared';

/** mini-swe-agent's text actions: one fenced block, `bash` (v1) or `mswea_bash_command` (v2). */
const ACTION_BLOCK = /```(?:bash|mswea_bash_command)\s*\n([\s\S]*?)\n```/;

/**
 * A mini-swe-agent `.traj.json` (`info`, `messages`, `trajectory_format`) as a trajectory of this project.
 * Messages with roles outside chat format (v2's final `exit` message) become `source_message` events at
 * their place, so the conversation stays valid chat and nothing is lost.
 */
export function fromMiniSweAgentTraj(raw: unknown, file: string, options: ImportOptions): Trajectory {
  if (!isRecord(raw)) throw importError(file, '(top level)', 'a .traj.json file must hold a JSON object');
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
  const turns = splitIntoTurns(chat).map((messages, index): Turn => ({
    index,
    messages,
    observations: observationsOf(messages),
  }));
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
    options.taskId ??
    (typeof raw.instance_id === 'string' ? raw.instance_id : basename(file).replace(/\.traj(\.json)?$/, ''));
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
      source: { format: 'mini-swe-agent', path: file },
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
        cost_usd: typeof stats.instance_cost === 'number' && stats.instance_cost >= 0 ? stats.instance_cost : 0,
        duration_ms: 0,
      },
      extra: { source_info: info },
    },
  };
}

/** Tool-call turns (v2 tool-call models) answer with tool messages; text turns with the next user message. */
function observationsOf(messages: ChatMessage[]): Observation[] {
  const fromTools = toolObservations(messages);
  if (fromTools.length > 0) return fromTools;
  const at = messages.findIndex((message) => message.role === 'assistant');
  const action = at === -1 ? null : ACTION_BLOCK.exec(messages[at].content ?? '');
  const reply = messages.slice(at + 1).find((message) => message.role === 'user');
  if (!action || !reply) return [];
  return [
    {
      tool_call_id: null,
      tool: 'bash',
      arguments: JSON.stringify({ command: action[1] }),
      output: reply.content ?? '',
      truncated: false,
    },
  ];
}
