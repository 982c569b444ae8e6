/** Turns a recorded trajectory into what the playback webview shows. Pure: no vscode, no I/O. */
import { turnReward } from '../../core/reward/turnReward';
import { protocolMark, roundOpenedBy } from '../../core/agent/protocols/protocol';
import type { RunEvent, RunResult, Trajectory, Turn } from '../../core/trajectory/types';
import type { LiveTurn } from '../../core/agent/liveTurn';
import type {
  ExtensionToWebview,
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

/**
 * What playback reads of a log: the whole run is held in the extension host, so a bigger log is refused with
 * its size named, and a longer line is skipped as a problem on its line without being held.
 */
export const PLAYBACK_LOG_LIMITS = { maxFileBytes: 128 * 1024 ** 2, maxLineBytes: 64 * 1024 ** 2 };

/** The most of one text (a message, an observation, a tool call's arguments) the page is sent. */
export const PLAYBACK_TEXT_CHARS = 200_000;

/** A text as the page gets it: past PLAYBACK_TEXT_CHARS, its head and a note of how much is left out. */
export function shownText(text: string): string {
  if (text.length <= PLAYBACK_TEXT_CHARS) return text;
  const omitted = text.length - PLAYBACK_TEXT_CHARS;
  return `${text.slice(0, PLAYBACK_TEXT_CHARS)}\n[… ${omitted.toLocaleString('en-US')} more characters not shown in playback]`;
}

/**
 * The first message a playback page gets: the run, every turn without its patch (sent per turn on request),
 * events and result. Its size grows with the turns' text, not with the cumulative patches.
 */
export function toPlaybackLoad(trajectory: Trajectory, logPath: string): Extract<ExtensionToWebview, { type: 'load' }> {
  const result = trajectory.result ? toPlaybackResult(trajectory.result) : null;
  return {
    type: 'load',
    run: toPlaybackRun(trajectory),
    turns: toPlaybackTurns(trajectory.turns),
    events: trajectory.events.map(toPlaybackEvent),
    result,
    live: !result,
    logPath,
  };
}

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
      return data.cancelled ? 'Run resumed from its log after it was cancelled' : 'Run resumed from its log';
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
    .map((message): PlaybackPrompt => ({
      role: message.role,
      text: shownText(message.content ?? ''),
      ...protocolMark(message),
    }));
  const startsRound = roundOpenedBy(turn);
  return {
    index: turn.index,
    prompts,
    ...(startsRound !== undefined ? { startsRound } : {}),
    message: assistant?.content == null ? null : shownText(assistant.content),
    toolCalls: (assistant?.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: shownText(call.function.arguments),
    })),
    observations: turn.observations.map((observation) => ({
      tool: observation.tool,
      output: shownText(observation.output),
      truncated: observation.truncated,
      exitCode: observation.exit_code,
      isError: observation.is_error,
    })),
    patchRecorded: turn.diff !== undefined,
    changedPaths: turn.diff === undefined ? [] : turnChange(previousDiff ?? '', turn.diff).paths,
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
    outputs: live.outputs.map((output) => ({ tool: output.tool, output: shownText(output.output) })),
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
    totals: result.totals && playbackTotals(result.totals),
  };
}

/**
 * A run that used a model records its tokens: none at all means an importer found no usage in its source,
 * and a cost of 0 without tokens is then no cost recorded either, not a free run.
 */
function playbackTotals(totals: NonNullable<RunResult['totals']>): NonNullable<PlaybackResult['totals']> {
  const tokensRecorded = totals.tokens_in + totals.tokens_out > 0;
  return {
    turns: totals.turns,
    tokensIn: tokensRecorded ? totals.tokens_in : null,
    tokensOut: tokensRecorded ? totals.tokens_out : null,
    costUsd: totals.cost_usd !== null && (tokensRecorded || totals.cost_usd > 0) ? totals.cost_usd : null,
    durationMs: totals.duration_ms,
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

/**
 * A git patch as its files' sections, keyed by the `diff --git` line that opens each. Text before the first
 * such line (a patch without git headers) is one section under the empty key.
 */
export function patchSections(patch: string): Map<string, string> {
  const sections = new Map<string, string>();
  const starts: number[] = patch.startsWith('diff --git ') ? [0] : [];
  for (let at = patch.indexOf('\ndiff --git '); at !== -1; at = patch.indexOf('\ndiff --git ', at + 1))
    starts.push(at + 1);
  if (starts[0] !== 0 && patch.slice(0, starts[0]).trim()) sections.set('', patch.slice(0, starts[0]));
  starts.forEach((start, i) => {
    const text = patch.slice(start, starts[i + 1]);
    sections.set(text.slice(0, text.indexOf('\n') + 1 || text.length).trimEnd(), text);
  });
  return sections;
}

/** The last patches split: turns are converted in order, so each turn's patch is split once, not twice. */
const recentSplits: { patch: string; sections: Map<string, string> }[] = [];

function recentPatchSections(patch: string): Map<string, string> {
  const known = recentSplits.find((split) => split.patch === patch);
  if (known) return known.sections;
  const sections = patchSections(patch);
  recentSplits.unshift({ patch, sections });
  recentSplits.length = Math.min(recentSplits.length, 2);
  return sections;
}

/** The file a section's `diff --git a/X b/Y` line names (its `b/` side), or `the patch` for one without. */
function sectionPath(key: string): string {
  return /^diff --git a\/.* b\/(.*)$/.exec(key)?.[1] ?? (key || 'the patch');
}

/**
 * What one turn changed, from the work tree's patches before and after it: the files whose sections differ
 * (in the order the patch after lists them, then the ones it no longer lists), the sections of those files
 * as they are after the turn, and the files whose whole change the turn undid.
 */
export function turnChange(before: string, after: string): { paths: string[]; patch: string; undone: string[] } {
  if (before === after) return { paths: [], patch: '', undone: [] };
  const earlier = recentPatchSections(before);
  const later = recentPatchSections(after);
  const changed = [...later].filter(([key, text]) => earlier.get(key) !== text);
  const undone = [...earlier.keys()].filter((key) => !later.has(key)).map(sectionPath);
  return {
    paths: [...changed.map(([key]) => sectionPath(key)), ...undone],
    patch: changed.map(([, text]) => text).join(''),
    undone,
  };
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
