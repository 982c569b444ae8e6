import { basename } from 'node:path';
import { EXIT_STATUSES, type ExitStatus, type Trajectory, type ToolSchema } from '../types';
import { importError, importedRunId, isRecord, toChatMessage, turnsOf, unknownFields } from './shared';

const SAFE_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * One line of OpenAI-format conversation JSONL (`messages`, optional `tools`, optional `metadata`) as a
 * trajectory. Rows this project exported carry their task, run, reward and exit status in `metadata`.
 */
export function fromOpenAiConversation(raw: unknown, file: string, line: number, text: string): Trajectory {
  const where = (field: string) => `line ${line}: ${field}`;
  if (!isRecord(raw)) throw importError(file, where('(top level)'), 'each line must be a JSON object');
  if (!Array.isArray(raw.messages) || raw.messages.length === 0)
    throw importError(file, where('messages'), 'must be a non-empty list of messages');
  const messages = raw.messages.map((message, i) => toChatMessage(message, file, where(`messages[${i}]`)));
  if (!messages.some((message) => message.role === 'assistant'))
    throw importError(file, where('messages'), 'has no assistant message');
  const tools = raw.tools === undefined ? [] : toTools(raw.tools, file, where('tools'));
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const turns = turnsOf(messages);

  const runId =
    typeof metadata.run_id === 'string' && SAFE_RUN_ID.test(metadata.run_id)
      ? metadata.run_id
      : importedRunId('openai', `${basename(file)}-${line}`, text);
  const taskId =
    typeof metadata.task_id === 'string' && metadata.task_id !== '' ? metadata.task_id : `${basename(file)}:${line}`;
  const reward = typeof metadata.reward === 'number' ? metadata.reward : null;
  const exitStatus = EXIT_STATUSES.includes(metadata.exit_status as ExitStatus)
    ? (metadata.exit_status as ExitStatus)
    : 'submitted';
  const extraMetadata = unknownFields(metadata, [
    'run_id',
    'task_id',
    'attempt',
    'reward',
    'resolved',
    'exit_status',
    'policy',
    'model',
  ]);
  const topExtra = unknownFields(raw, ['messages', 'tools', 'metadata']);
  const extra = { ...(topExtra ?? {}), ...(extraMetadata ? { metadata: extraMetadata } : {}) };
  return {
    run: {
      run_id: runId,
      task_id: taskId,
      attempt:
        typeof metadata.attempt === 'number' && Number.isInteger(metadata.attempt) && metadata.attempt >= 0
          ? metadata.attempt
          : 0,
      policy: typeof metadata.policy === 'string' ? metadata.policy : 'import:openai',
      model: { name: typeof metadata.model === 'string' ? metadata.model : 'unknown', parameters: {} },
      tools,
      tool_versions: {},
      started_at: new Date(0).toISOString(),
      source: { format: 'openai', path: file },
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    },
    turns,
    events: [],
    result: {
      exit_status: exitStatus,
      ended_at: new Date(0).toISOString(),
      patch: '',
      reward:
        reward === null
          ? null
          : { value: reward, ...(typeof metadata.resolved === 'boolean' ? { resolved: metadata.resolved } : {}) },
    },
  };
}

function toTools(raw: unknown, file: string, where: string): ToolSchema[] {
  if (!Array.isArray(raw)) throw importError(file, where, 'must be a list of tool definitions');
  return raw.map((tool, i) => {
    if (!isRecord(tool) || !isRecord(tool.function) || typeof tool.function.name !== 'string') {
      throw importError(
        file,
        `${where}[${i}]`,
        'must be {type: "function", function: {name, description?, parameters?}}',
      );
    }
    return { type: 'function', function: tool.function as ToolSchema['function'] };
  });
}
