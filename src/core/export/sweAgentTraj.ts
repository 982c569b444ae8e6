import { join } from 'node:path';
import { recordedUsage, type ModelRole } from '../agent/budget';
import { writeFileAtomic } from '../atomicFile';
import { runUsage, type RunUsage } from '../trajectory/cost';
import { requestAsSentOfTurn } from '../trajectory/request';
import { TRAJECTORY_SCHEMA_VERSION, type ChatMessage, type Trajectory, type Turn } from '../trajectory/types';
import type { ExportFormat } from './format';

/** SWE-agent's history message: the chat message plus SWE-agent's own bookkeeping fields. */
export interface SweAgentHistoryMessage extends Record<string, unknown> {
  role: string;
  content: unknown;
  agent: string;
  message_type: string;
  /** On assistant messages, as SWE-agent writes them: the step's thought and action. */
  thought?: string;
  action?: string;
}

/** A step as SWE-agent 1.x writes it (its `TrajectoryStep`): `query` is the request the model was sent. */
export interface SweAgentStep extends Record<string, unknown> {
  action: string;
  observation: string;
  response: string;
  thought: string;
  state: Record<string, string>;
  query: SweAgentHistoryMessage[];
}

export interface SweAgentTraj {
  environment: string;
  trajectory: SweAgentStep[];
  history: SweAgentHistoryMessage[];
  info: Record<string, unknown>;
}

/**
 * What this project's trajectories keep under `info.rollout` in an exported .traj: everything SWE-agent's
 * fields cannot hold, so importing the file gives back the identical trajectory.
 */
export interface RolloutTrajInfo {
  schema_version: number;
  run: Trajectory['run'];
  result: Trajectory['result'];
  events: Trajectory['events'];
  turn_message_counts: number[];
}

export const SWE_AGENT_ENVIRONMENT = 'rollout-studio';

/** SWE-agent text for a turn's actions: a bash call is its command; other tools are `name arguments`. */
function actionText(turn: Turn): string {
  const assistant = turn.messages.find((message) => message.role === 'assistant');
  const calls = assistant?.tool_calls ?? [];
  if (calls.length === 0)
    return turn.observations.map((observation) => commandOf(observation.tool, observation.arguments ?? '')).join('\n');
  return calls.map((call) => commandOf(call.function.name, call.function.arguments)).join('\n');
}

function commandOf(tool: string, args: string): string {
  if (tool === 'bash') {
    try {
      const parsed = JSON.parse(args) as { command?: unknown };
      if (typeof parsed.command === 'string') return parsed.command;
    } catch {
      // Not JSON (the model wrote bad arguments): fall through to the raw text.
    }
  }
  return `${tool} ${args}`;
}

function messageType(message: ChatMessage, index: number): string {
  if (message.role === 'system') return 'system_prompt';
  if (message.role === 'assistant') return 'action';
  if (message.role === 'tool') return 'observation';
  return index <= 1 ? 'user' : 'observation';
}

function toHistoryMessage(message: ChatMessage, index: number, action: string): SweAgentHistoryMessage {
  return {
    ...message,
    agent: 'main',
    message_type: messageType(message, index),
    ...(message.role === 'assistant' ? { thought: message.content ?? '', action } : {}),
    ...(message.tool_call_id !== undefined ? { tool_call_ids: [message.tool_call_id] } : {}),
  };
}

type AgentUsage = RunUsage & { calls: number };

/** The calls of the protocol's other models (a simulated user, a judge, a feedback model): not the agent's. */
const OTHER_PARTIES: ReadonlySet<ModelRole> = new Set(['user', 'judge', 'feedback']);

/**
 * SWE-agent's `model_stats` are the agent's model calls: the run's totals (its turns and its compaction
 * summaries; an unfinished run's turns so far) less the calls other parties made, which their events record.
 */
function agentUsage(trajectory: Trajectory): AgentUsage {
  const { tokens_in, tokens_out, cost_usd } = runUsage(trajectory);
  const usage: AgentUsage = { tokens_in, tokens_out, cost_usd, calls: trajectory.turns.length };
  for (const event of trajectory.events) {
    const recorded = recordedUsage(event.data?.usage);
    if (recorded?.role === 'summary') usage.calls += recorded.usage.calls;
    else if (recorded && OTHER_PARTIES.has(recorded.role)) {
      usage.tokens_in -= recorded.usage.tokens_in;
      usage.tokens_out -= recorded.usage.tokens_out;
      if (usage.cost_usd !== null) usage.cost_usd -= recorded.usage.cost_usd;
    }
  }
  return usage;
}

/**
 * The request a turn was sent, as SWE-agent history: the whole history before its reply, or after a compaction
 * the messages kept and those that stood in for the rest (a note, a summary, a shortened output), as the policy
 * sent them after the server's refusals.
 */
function queryOf(trajectory: Trajectory, turn: Turn, history: SweAgentHistoryMessage[]): SweAgentHistoryMessage[] {
  const where = `run ${trajectory.run.run_id}: the request of turn ${turn.index}`;
  return requestAsSentOfTurn(trajectory, turn.index, history, where).map((message, index) =>
    'agent' in message ? message : toHistoryMessage(message, index, ''),
  );
}

export function toSweAgentTraj(trajectory: Trajectory): SweAgentTraj {
  const history: SweAgentHistoryMessage[] = [];
  const steps = trajectory.turns.map((turn): SweAgentStep => {
    const assistant = turn.messages.find((message) => message.role === 'assistant');
    const action = actionText(turn);
    let query: SweAgentHistoryMessage[] | undefined;
    for (const message of turn.messages) {
      if (message === assistant) query = queryOf(trajectory, turn, history);
      history.push(toHistoryMessage(message, history.length, action));
    }
    const rest: Omit<Turn, 'messages'> & { messages?: unknown } = { ...turn };
    delete rest.messages;
    return {
      action,
      observation: turn.observations.map((observation) => observation.output).join('\n'),
      response: assistant?.content ?? '',
      thought: assistant?.content ?? '',
      state: {},
      query: query ?? [...history],
      execution_time: (turn.durations_ms?.tools ?? 0) / 1000,
      extra_info: { rollout_turn: rest },
    };
  });
  const result = trajectory.result;
  const usage = agentUsage(trajectory);
  const rollout: RolloutTrajInfo = {
    schema_version: TRAJECTORY_SCHEMA_VERSION,
    run: trajectory.run,
    result,
    events: trajectory.events,
    turn_message_counts: trajectory.turns.map((turn) => turn.messages.length),
  };
  return {
    environment: SWE_AGENT_ENVIRONMENT,
    trajectory: steps,
    history,
    info: {
      exit_status: result?.exit_status ?? null,
      submission: result?.patch ?? null,
      model_stats: {
        // SWE-agent's stats are numbers: a cost that is unknown (a call without a price) is left out, which its
        // inspector shows as N/A, rather than written as a partial sum or 0 (a wrong cost is worse than none).
        ...(usage.cost_usd === null ? {} : { instance_cost: usage.cost_usd }),
        tokens_sent: usage.tokens_in,
        tokens_received: usage.tokens_out,
        api_calls: usage.calls,
      },
      rollout,
    },
  };
}

/** One SWE-agent `.traj` file per run, named after the run. */
export const sweAgentTrajFormat: ExportFormat = {
  name: 'swe-agent-traj',
  summary: 'SWE-agent .traj JSON per run: {"environment", "trajectory", "history", "info"}',
  splittable: false,
  requiresReward: false,
  usesStyle: false,
  async write(context) {
    for await (const run of context.source.accepted()) {
      const file = `${run.summary.run_id}.traj`;
      await writeFileAtomic(join(context.outDir, file), JSON.stringify(toSweAgentTraj(run.trajectory)));
      context.addFile(file);
      context.stats.addRun(run.summary, 'trajs');
      context.stats.addRow('trajs');
    }
  },
};
