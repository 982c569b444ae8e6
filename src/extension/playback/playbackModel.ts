/** Turns a recorded trajectory into what the playback webview shows. Pure: no vscode, no I/O. */
import { turnReward } from '../../core/reward/turnReward';
import { protocolMark, roundOpenedBy } from '../../core/agent/protocols/protocol';
import type { RunEvent, RunResult, Trajectory, Turn } from '../../core/trajectory/types';
import type { LiveTurn } from '../../core/agent/liveTurn';
import type {
  PlaybackEvent,
  PlaybackLiveTurn,
  PlaybackPrompt,
  PlaybackResult,
  PlaybackRound,
  PlaybackRun,
  PlaybackTurn,
  TestOutcomes,
} from './protocol';

const EVENT_DETAIL_CHARS = 4000;

export function toPlaybackRun(trajectory: Trajectory): PlaybackRun {
  const { run } = trajectory;
  return {
    runId: run.run_id,
    taskId: run.task_id,
    ...splitPolicy(run.policy),
    policySpec: run.policy,
    model: run.model.name,
    startedAt: run.started_at,
  };
}

/** `openai:m@http://127.0.0.1:8000/v1` → policy `openai:m`, server `127.0.0.1:8000`; other specs stay whole. */
export function splitPolicy(spec: string): { policy: string; server?: string } {
  const at = spec.search(/@https?:\/\//);
  if (at === -1) return { policy: spec };
  try {
    return { policy: spec.slice(0, at), server: new URL(spec.slice(at + 1)).host };
  } catch {
    return { policy: spec };
  }
}

/** An event as the timeline shows it: one line, marked as an error by its kind (not by colour alone). */
export function toPlaybackEvent(event: RunEvent): PlaybackEvent {
  const data = event.data ?? {};
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  const isError = event.kind === 'error' || event.kind.endsWith('_error') || event.kind.endsWith('_malformed');
  // A compaction's `request` repeats the turn's whole prompt: the detail leaves it out.
  const shown = Object.entries(data).filter(([key]) => key !== 'request');
  const detail = shown.length
    ? JSON.stringify(Object.fromEntries(shown), null, 2).slice(0, EVENT_DETAIL_CHARS)
    : undefined;
  return {
    kind: event.kind,
    afterTurn: event.after_turn,
    summary: eventSummary(event.kind, data, text),
    detail,
    isError,
  };
}

function eventSummary(kind: string, data: Record<string, unknown>, text: (key: string) => string | undefined): string {
  const firstLine = (value: string | undefined) => value?.split('\n')[0];
  switch (kind) {
    case 'compaction':
      return `Context compacted (${text('strategy') ?? 'compaction'}): ${String(data.turns_elided ?? '?')} turns left out of the request, about ${String(data.estimated_tokens_before ?? '?')} → ${String(data.estimated_tokens_after ?? '?')} tokens`;
    case 'resumed':
      return 'Run resumed from its log';
    case 'user_feedback':
      return `Simulated user, round ${String(data.round ?? '?')}: ${text('status') ?? 'replied'}${text('reason') ? ` — ${firstLine(text('reason'))}` : ''}`;
    case 'judge_verdict':
      return `Judge: ${text('verdict') ?? 'no verdict'}${typeof data.reward === 'number' ? ` (reward ${data.reward})` : ''}`;
    default: {
      const message = firstLine(text('error') ?? text('message') ?? text('reason'));
      const label = kind.replace(/_/g, ' ');
      return message
        ? `${label[0].toUpperCase()}${label.slice(1)}: ${message}`
        : `${label[0].toUpperCase()}${label.slice(1)}`;
    }
  }
}

/** `previousDiff` is the patch after the turn before (undefined for the first turn). */
export function toPlaybackTurn(turn: Turn, previousDiff: string | undefined): PlaybackTurn {
  const assistant = turn.messages.find((message) => message.role === 'assistant');
  const prompts = turn.messages
    .slice(0, assistant ? turn.messages.indexOf(assistant) : turn.messages.length)
    .filter((message) => message.role === 'system' || message.role === 'user')
    .map((message): PlaybackPrompt => ({ role: message.role, text: message.content ?? '', ...protocolMark(message) }));
  const startsRound = roundOpenedBy(turn);
  return {
    index: turn.index,
    prompts,
    ...(startsRound !== undefined ? { startsRound } : {}),
    message: assistant?.content ?? null,
    toolCalls: (assistant?.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    })),
    observations: turn.observations.map((observation) => ({
      tool: observation.tool,
      output: observation.output,
      truncated: observation.truncated,
      exitCode: observation.exit_code,
      isError: observation.is_error,
    })),
    diff: turn.diff,
    changedFiles: turn.diff !== undefined && (turn.diff ?? '') !== (previousDiff ?? ''),
    reward: turn.signals ? turnReward(turn.signals) : null,
    durationMs: turn.durations_ms?.total,
  };
}

export function toPlaybackLiveTurn(live: LiveTurn): PlaybackLiveTurn {
  return {
    index: live.turn,
    phase: live.phase,
    message: live.content,
    reasoning: live.reasoning,
    toolCalls: live.tool_calls.map((call) => ({ name: call.name, arguments: call.arguments })),
    outputs: live.outputs.map((output) => ({ tool: output.tool, output: output.output })),
  };
}

export function toPlaybackTurns(turns: Turn[], before?: Turn): PlaybackTurn[] {
  let previousDiff = before?.diff;
  return turns.map((turn) => {
    const converted = toPlaybackTurn(turn, previousDiff);
    if (turn.diff !== undefined) previousDiff = turn.diff;
    return converted;
  });
}

export function toPlaybackResult(result: RunResult): PlaybackResult {
  const report = result.reward?.report;
  return {
    exitStatus: result.exit_status,
    reward: result.reward?.value ?? null,
    resolved: result.reward?.resolved,
    ...protocolResult(report),
    failToPass: testOutcomes(report, 'FAIL_TO_PASS'),
    passToPass: testOutcomes(report, 'PASS_TO_PASS'),
    error: result.error,
    totals: result.totals && {
      turns: result.totals.turns,
      tokensIn: result.totals.tokens_in,
      tokensOut: result.totals.tokens_out,
      costUsd: result.totals.cost_usd,
      durationMs: result.totals.duration_ms,
    },
  };
}

/** What a protocol adds to the report: the rounds of a test-feedback run, a CodeAssistBench judge's verdict. */
function protocolResult(report: unknown): Pick<PlaybackResult, 'rounds' | 'judge'> {
  if (!report || typeof report !== 'object') return {};
  const fields = report as Record<string, unknown>;
  const rounds =
    Array.isArray(fields.rounds) && fields.rounds.length > 1 ? (fields.rounds as PlaybackRound[]) : undefined;
  const judge =
    fields.protocol === 'cab'
      ? {
          verdict: typeof fields.verdict === 'string' ? fields.verdict : null,
          reply: typeof fields.judge_reply === 'string' ? fields.judge_reply : '',
          ...(typeof fields.user_rounds === 'number' ? { userRounds: fields.user_rounds } : {}),
          ...(typeof fields.final_status === 'string' ? { finalStatus: fields.final_status } : {}),
        }
      : undefined;
  return { ...(rounds ? { rounds } : {}), ...(judge ? { judge } : {}) };
}

/**
 * Finds the `{ FAIL_TO_PASS, PASS_TO_PASS }` lists in a reward report: at its top level (SWE-bench style), in
 * `tests_status` (one instance's entry of the harness's report.json), in the entry of a whole report.json
 * (`{ instance_id: { tests_status } }`), or in `report.tests_status` (what a rollout records). Any other shape
 * is left out rather than shown wrongly.
 */
export function testOutcomes(report: unknown, section: 'FAIL_TO_PASS' | 'PASS_TO_PASS'): TestOutcomes | undefined {
  const record = (value: unknown) =>
    value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  const entries = Object.values(record(report) ?? {});
  const candidates = [
    record(report),
    record(record(report)?.tests_status),
    entries.length === 1 ? record(record(entries[0])?.tests_status) : undefined,
    record(record(record(report)?.report)?.tests_status),
  ];
  for (const candidate of candidates) {
    const outcomes = readOutcomes(record(candidate?.[section]));
    if (outcomes) return outcomes;
  }
  return undefined;
}

function readOutcomes(value: Record<string, unknown> | undefined): TestOutcomes | undefined {
  const strings = (list: unknown) =>
    Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : undefined;
  const success = strings(value?.success);
  const failure = strings(value?.failure);
  return success && failure ? { success, failure } : undefined;
}

/** The patches before and after a turn, for the diff editor. */
export function turnPatches(turns: Turn[], index: number): { before: string; after: string } {
  const turn = turns[index];
  if (!turn) throw new Error(`turn ${index} does not exist (the trajectory has ${turns.length} turns)`);
  const earlier = turns
    .slice(0, index)
    .reverse()
    .find((candidate) => candidate.diff !== undefined);
  return { before: earlier?.diff ?? '', after: turn.diff ?? earlier?.diff ?? '' };
}
