import { basename } from 'node:path';
import type { RolloutTrajInfo } from '../../export/sweAgentTraj';
import { isReadableSchemaVersion, upgradeTurn } from '../migrate';
import type { ChatMessage, Trajectory, Turn } from '../types';
import {
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

const STEP_FIELDS_AS_OBSERVATION = ['action', 'observation'];
const HISTORY_BOOKKEEPING = ['agent', 'message_type', 'tool_call_ids', 'thought', 'action'];

export interface ImportOptions {
  /** Task id to record; defaults to a name derived from the file. */
  taskId?: string;
  /** The source file's bytes, for a stable run id. */
  content: string;
}

/**
 * A SWE-agent `.traj` as a trajectory of this project, whichever major version wrote it: 0.x (text actions; the
 * oldest files have steps and no history), 1.x (function calling: assistant `tool_calls`, observations answering
 * them by `tool_call_ids`), or a demonstration (history only).
 */
export function fromSweAgentTraj(raw: unknown, file: string, options: ImportOptions): Trajectory {
  if (!isRecord(raw)) throw importError(file, '(top level)', 'a .traj file must hold a JSON object');
  const info = isRecord(raw.info) ? raw.info : {};
  if (isRecord(info.rollout) && isReadableSchemaVersion(info.rollout.schema_version))
    return fromOwnExport(raw, info.rollout as unknown as RolloutTrajInfo, file);
  if (raw.trajectory === undefined && !Array.isArray(raw.history))
    throw importError(file, 'trajectory', 'must be a list of steps (or the file must have a history)');
  if (raw.trajectory !== undefined && !Array.isArray(raw.trajectory))
    throw importError(file, 'trajectory', 'must be a list of steps');

  const steps = ((raw.trajectory as unknown[] | undefined) ?? []).map((step, i) => {
    if (!isRecord(step) || typeof step.action !== 'string')
      throw importError(file, `trajectory[${i}].action`, 'each step needs an action string');
    return step;
  });
  const history = Array.isArray(raw.history) ? raw.history : stepsAsHistory(steps);
  const messages = history.map((message, i) => toChatMessage(message, file, `history[${i}]`));
  const turns = turnsOf(messages);
  if (steps.length > 0) attachSteps(turns, steps);
  const functionCalling = messages.some((message) => (message.tool_calls?.length ?? 0) > 0);

  const submission = typeof info.submission === 'string' ? info.submission : '';
  const stats = isRecord(info.model_stats) ? info.model_stats : {};
  const taskId = options.taskId ?? importedTaskId(file, undefined, basename(file).replace(/\.traj(\.json)?$/, ''));
  const topExtra = unknownFields(raw, ['trajectory', 'history', 'info']);
  return {
    run: {
      run_id: importedRunId('swe-agent', taskId, options.content),
      task_id: taskId,
      attempt: 0,
      policy: 'import:swe-agent',
      model: { name: modelName(raw, info), parameters: {} },
      tools: [IMPORTED_BASH_TOOL],
      tool_versions: typeof info.swe_agent_version === 'string' ? { 'swe-agent': info.swe_agent_version } : {},
      started_at: new Date(0).toISOString(),
      source: {
        format: 'swe-agent',
        version:
          typeof info.swe_agent_version === 'string'
            ? info.swe_agent_version
            : functionCalling
              ? 'function-calling'
              : 'text-actions',
        path: file,
      },
      ...(topExtra ? { extra: topExtra } : {}),
    },
    turns,
    events: [],
    result: {
      exit_status: mapExitStatus(info.exit_status, submission.trim() !== ''),
      ended_at: new Date(0).toISOString(),
      patch: submission,
      reward: null,
      totals: {
        turns: turns.length,
        tokens_in: numberOr(stats.tokens_sent),
        tokens_out: numberOr(stats.tokens_received),
        // A file with no cost has an unknown one, not $0.
        cost_usd: typeof stats.instance_cost === 'number' ? numberOr(stats.instance_cost) : null,
        duration_ms: 0,
      },
      extra: { source_info: info },
    },
  };
}

function numberOr(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value * 1e6) / 1e6 : 0;
}

function modelName(raw: Record<string, unknown>, info: Record<string, unknown>): string {
  const config = isRecord(raw.replay_config) ? raw.replay_config : isRecord(info.config) ? info.config : {};
  const model =
    isRecord(config.agent) && isRecord(config.agent.model)
      ? config.agent.model
      : isRecord(config.model)
        ? config.model
        : {};
  return typeof model.name === 'string'
    ? model.name
    : typeof model.model_name === 'string'
      ? model.model_name
      : 'unknown';
}

/** Older .traj files have no history: rebuild the conversation from the steps. */
function stepsAsHistory(steps: Record<string, unknown>[]): Record<string, unknown>[] {
  return steps.flatMap((step) => [
    { role: 'assistant', content: typeof step.response === 'string' ? step.response : step.action },
    { role: 'user', content: typeof step.observation === 'string' ? step.observation : '' },
  ]);
}

/**
 * Each step is one turn's action and raw observation; it goes to the turn whose assistant message made
 * that action (history may hold extra assistant messages, e.g. retried format errors). A function-calling
 * step's observation answers the turn's calls (by the id SWE-agent sent the model); a text step's is the
 * output of its command.
 */
function attachSteps(turns: Turn[], steps: Record<string, unknown>[]): void {
  let next = 0;
  for (const step of steps) {
    const action = step.action as string;
    let at = turns.findIndex((turn, t) => t >= next && assistantOf(turn)?.extra?.action === action);
    if (at === -1) at = next;
    // SWE-agent 1.x leaves the step that ends the run (`submit`) out of the history: it is a turn of its own.
    if (at >= turns.length) turns.push(turnOfStep(step, turns.length));
    const turn = turns[at];
    const answered = turn.observations.length > 0 ? turn.observations : undefined;
    const output = typeof step.observation === 'string' ? step.observation : JSON.stringify(step.observation ?? '');
    // The raw output, before SWE-agent added its state lines for the model.
    if (answered) answered.forEach((observation) => (observation.output = output));
    else
      turn.observations.push({
        tool_call_id: null,
        tool: 'bash',
        arguments: JSON.stringify({ command: action }),
        output,
        truncated: false,
      });
    const rest = unknownFields(step, STEP_FIELDS_AS_OBSERVATION);
    if (rest) turn.extra = { ...turn.extra, swe_agent_step: rest };
    next = at + 1;
  }
}

/** A step the history does not hold, as the turn the model made: its response, with its action. */
function turnOfStep(step: Record<string, unknown>, index: number): Turn {
  const response =
    typeof step.response === 'string' ? step.response : typeof step.thought === 'string' ? step.thought : '';
  return {
    index,
    messages: [{ role: 'assistant', content: response, extra: { action: step.action, message_type: 'action' } }],
    observations: [],
  };
}

function assistantOf(turn: Turn): ChatMessage | undefined {
  return turn.messages.find((message) => message.role === 'assistant');
}

/** A .traj this project exported: `info.rollout` and the steps hold everything, so nothing is guessed. */
function fromOwnExport(raw: Record<string, unknown>, rollout: RolloutTrajInfo, file: string): Trajectory {
  const history = raw.history as unknown[];
  const steps = raw.trajectory as Record<string, unknown>[];
  if (!Array.isArray(history)) throw importError(file, 'history', 'must be a list of messages');
  let at = 0;
  const turns = rollout.turn_message_counts.map((count, index): Turn => {
    const messages = history.slice(at, at + count).map((message, i) => ownMessage(message, file, `history[${at + i}]`));
    at += count;
    const step = steps[index];
    const extraInfo = isRecord(step) && isRecord(step.extra_info) ? step.extra_info : {};
    if (!isRecord(extraInfo.rollout_turn))
      throw importError(file, `trajectory[${index}].extra_info.rollout_turn`, 'missing in a Rollout Studio export');
    const turn = upgradeTurn(extraInfo.rollout_turn, rollout.schema_version) as Omit<Turn, 'messages'>;
    return { ...turn, messages };
  });
  return { run: rollout.run, turns, events: rollout.events, ...(rollout.result ? { result: rollout.result } : {}) };
}

function ownMessage(raw: unknown, file: string, where: string): ChatMessage {
  if (!isRecord(raw)) throw importError(file, where, 'a message must be an object');
  const message = Object.fromEntries(Object.entries(raw).filter(([key]) => !HISTORY_BOOKKEEPING.includes(key)));
  return message as unknown as ChatMessage;
}
