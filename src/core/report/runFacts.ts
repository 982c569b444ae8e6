/**
 * One run's facts and trajectory analytics, folded from its log as the lines stream by: memory holds the
 * current line and a few counters, never the conversation, so a report can read any number of runs of any size.
 */
import { createHash } from 'node:crypto';
import { recordedProtocolName } from '../agent/protocols/protocol';
import { filesInPatch } from '../task/environment';
import { TrajectoryEventStream } from '../trajectory/reader';
import { addCost } from '../trajectory/cost';
import { unscorable, type RunEvent, type RunMetadata, type RunResult, type Turn } from '../trajectory/types';
import { classifyAction, type Action } from './actions';
import type { Localisation, Milestone, RoundOutcome, RunAnalytics, RunFacts } from './model';

/** Same action and same observation this many turns in a row is a loop (OpenHands' stuck detector uses 4). */
const REPEATS_FOR_LOOP = 4;
/** Same action failing this many turns in a row is a loop (OpenHands: 3 repeated action–error pairs). */
const FAILED_REPEATS_FOR_LOOP = 3;
const EPOCH = new Date(0).toISOString();

export interface RunFactsResult {
  facts: RunFacts | null;
  /** Malformed lines (each named by file and line), or why the log holds no run. */
  problems: { path: string; message: string }[];
}

/** Reads one trajectory log; `goldFiles` gives the files of a task's reference patch, for localisation. */
export async function readRunFacts(
  path: string,
  goldFiles: (taskId: string) => readonly string[] | undefined = () => undefined,
): Promise<RunFactsResult> {
  const stream = new TrajectoryEventStream(path);
  let fold: RunFold | null = null;
  for await (const event of stream.events()) {
    if (event.type === 'run_started') fold = new RunFold(path, event.run, goldFiles(event.run.task_id));
    else if (!fold) continue;
    else if (event.type === 'turn') fold.turn(event.turn);
    else if (event.type === 'event') fold.event(event.event);
    else fold.finish(event.result);
  }
  const problems = stream.problems.map((problem) => ({ path, message: `line ${problem.line}: ${problem.message}` }));
  if (!fold) return { facts: null, problems: [...problems, { path, message: 'no valid run_started line' }] };
  return { facts: fold.facts(stream.problems.length), problems };
}

class RunFold {
  private readonly tools: Record<string, number> = {};
  private readonly commands: Record<string, number> = {};
  private turns = 0;
  private tokensIn = 0;
  private tokensOut = 0;
  private costUsd: number | null = 0;
  private tokensKnown = true;
  private failures = 0;
  private recovered = 0;
  /** Failures per action kind still waiting for a success of that kind. */
  private readonly pendingFailures = new Map<string, number>();
  private firstEdit: Milestone | null = null;
  private firstPassingTest: Milestone | null = null;
  private testRuns = 0;
  private lastDiff: string | undefined;
  private diffsRecorded = false;
  private previousSignature = '';
  private previousOutputs: string[] = [];
  private sameObservationStreak = 0;
  private failingStreak = 0;
  private repeatedTurns = 0;
  private loop = false;
  private compactions = 0;
  private readonly rounds: RoundOutcome[] = [];
  private prompt: RunFacts['prompt'] = null;
  private readonly viewedGold = new Set<string>();
  private result: RunResult | undefined;

  constructor(
    private readonly path: string,
    private readonly run: RunMetadata,
    private readonly goldFiles: readonly string[] | undefined,
  ) {}

  turn(turn: Turn): void {
    this.turns += 1;
    if (turn.tokens) {
      this.tokensIn += turn.tokens.input;
      this.tokensOut += turn.tokens.output;
    } else this.tokensKnown = false;
    this.costUsd = addCost(this.costUsd, turn.cost_usd);
    if (!this.prompt) this.prompt = systemPrompt(turn);

    const actions = turn.observations.map(classifyAction).filter((action): action is Action => action !== null);
    for (const action of actions) this.countAction(action);
    if (this.turnEdited(turn, actions) && !this.firstEdit) this.firstEdit = this.milestone();
    if (!this.firstPassingTest && actions.some((action) => action.runsTests && action.succeeded === true))
      this.firstPassingTest = this.milestone();
    this.trackRepeats(turn, actions);
  }

  event(event: RunEvent): void {
    if (event.kind === 'compaction') this.compactions += 1;
    const round = roundOutcome(event);
    if (round) this.rounds.push(round);
  }

  finish(result: RunResult): void {
    this.result = result;
  }

  private milestone(): Milestone {
    return { turn: this.turns, tokens: this.tokensKnown ? this.tokensIn + this.tokensOut : null };
  }

  private countAction(action: Action): void {
    this.tools[action.tool] = (this.tools[action.tool] ?? 0) + 1;
    if (action.program !== undefined) this.commands[action.program] = (this.commands[action.program] ?? 0) + 1;
    if (action.runsTests) this.testRuns += 1;
    for (const file of this.goldFiles ?? []) if (action.argumentsText.includes(file)) this.viewedGold.add(file);
    // A failure is recovered when the next action of the same kind (a test run, a shell program, a tool) succeeds.
    const kind = action.runsTests ? '(tests)' : (action.program ?? action.tool);
    if (action.succeeded === false) {
      this.failures += 1;
      this.pendingFailures.set(kind, (this.pendingFailures.get(kind) ?? 0) + 1);
    } else if (action.succeeded === true) {
      this.recovered += this.pendingFailures.get(kind) ?? 0;
      this.pendingFailures.delete(kind);
    }
  }

  /** From the recorded work-tree diff when the run has one; from what the actions are otherwise (imports). */
  private turnEdited(turn: Turn, actions: Action[]): boolean {
    if (turn.diff === undefined) return !this.diffsRecorded && actions.some((action) => action.edits);
    this.diffsRecorded = true;
    const changed = turn.diff !== (this.lastDiff ?? '');
    this.lastDiff = turn.diff;
    return changed;
  }

  private trackRepeats(turn: Turn, actions: Action[]): void {
    if (actions.length === 0) {
      this.previousSignature = '';
      this.sameObservationStreak = this.failingStreak = 0;
      return;
    }
    const signature = actions.map((action) => action.signature).join('\u0001');
    const outputs = turn.observations.map((observation) => observation.output);
    const failed = actions.some((action) => action.succeeded === false);
    const same = signature === this.previousSignature;
    if (same) this.repeatedTurns += 1;
    const sameOutputs =
      outputs.length === this.previousOutputs.length &&
      outputs.every((output, i) => output === this.previousOutputs[i]);
    this.sameObservationStreak = same && sameOutputs ? this.sameObservationStreak + 1 : 1;
    this.failingStreak = failed ? (same ? this.failingStreak + 1 : 1) : 0;
    if (this.sameObservationStreak >= REPEATS_FOR_LOOP || this.failingStreak >= FAILED_REPEATS_FOR_LOOP)
      this.loop = true;
    this.previousSignature = signature;
    this.previousOutputs = outputs;
  }

  facts(problems: number): RunFacts {
    const { run, result } = this;
    const totals = result?.totals;
    const tokens = totals ? totals.tokens_in + totals.tokens_out : this.tokensIn + this.tokensOut;
    const edited = filesInPatch(result?.patch ?? this.lastDiff ?? '');
    const analytics: RunAnalytics = {
      tools: this.tools,
      commands: this.commands,
      failures: this.failures,
      recovered: this.recovered,
      firstEdit: this.firstEdit,
      firstPassingTest: this.firstPassingTest,
      testRuns: this.testRuns,
      repeatedTurns: this.repeatedTurns,
      loop: this.loop,
      compactions: this.compactions,
      filesEdited: edited,
      localisation: this.goldFiles?.length ? localisation(edited, this.goldFiles, this.viewedGold) : null,
      // A plain SWE run grades one round without feedback: its resolved verdict already says it all.
      rounds: this.rounds.length && recordedProtocolName(run) !== 'swe' ? successByRound(this.rounds) : null,
    };
    return {
      runId: run.run_id,
      path: this.path,
      taskId: run.task_id,
      attempt: run.attempt,
      policy: run.policy,
      model: run.model.name,
      prompt: this.prompt,
      protocol: recordedProtocolName(run),
      ...(run.source && run.source.format !== 'rollout' ? { importedFrom: run.source.format } : {}),
      status: result?.exit_status ?? 'unfinished',
      reward: scoredReward(result)?.value ?? null,
      resolved: resolvedOf(scoredReward(result)),
      turns: this.turns,
      tokens,
      // A total of null is a cost the run knows it does not know: the turns' sum would not be it.
      costUsd: totals ? totals.cost_usd : this.costUsd,
      wallSeconds: wallSeconds(run.started_at, result?.ended_at),
      analytics,
      problems,
    };
  }
}

/**
 * The run's reward, where it is a score: a cancelled run or one the machinery broke has none, even where its log
 * carries one (edited, or written by another tool), as exports skip such runs.
 */
function scoredReward(result: RunResult | undefined): RunResult['reward'] | undefined {
  return result && !unscorable(result.exit_status) ? result.reward : undefined;
}

/** Resolved when the grade says so; a run with a reward but no verdict is resolved at reward 1. */
function resolvedOf(reward: RunResult['reward'] | undefined): boolean | null {
  if (!reward || reward.value === null) return null;
  return reward.resolved ?? reward.value >= 1;
}

function wallSeconds(startedAt: string, endedAt: string | undefined): number | null {
  if (!endedAt || startedAt === EPOCH || endedAt === EPOCH) return null;
  const seconds = (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

function systemPrompt(turn: Turn): RunFacts['prompt'] {
  const system = turn.messages.find((message) => message.role === 'system')?.content;
  if (!system) return null;
  const hash = createHash('sha256').update(system).digest('hex').slice(0, 8);
  return { hash, preview: system.replace(/\s+/g, ' ').trim().slice(0, 60) };
}

function localisation(edited: string[], gold: readonly string[], viewed: ReadonlySet<string>): Localisation {
  const goldSet = new Set(gold);
  const hits = edited.filter((file) => goldSet.has(file)).length;
  return {
    goldFiles: goldSet.size,
    precision: edited.length ? hits / edited.length : null,
    recall: hits / goldSet.size,
    viewedRecall: [...goldSet].filter((file) => viewed.has(file) || edited.includes(file)).length / goldSet.size,
  };
}

/**
 * The outcome a round event records. CodeAssistBench conversations write `user_feedback` after each reply of
 * the simulated user (`status` FULLY_SATISFIED is success); runs with test-feedback rounds write `round_scored`
 * after grading each round (`resolved`; null when the machinery failed, a round that is then no outcome).
 * Runs without such events have no rounds.
 */
function roundOutcome(event: RunEvent): RoundOutcome | null {
  const round = event.data?.round;
  if (typeof round !== 'number') return null;
  if (event.kind === 'user_feedback') return { round, succeeded: event.data?.status === 'FULLY_SATISFIED' };
  if (event.kind === 'round_scored' && typeof event.data?.resolved === 'boolean')
    return { round, succeeded: event.data.resolved };
  return null;
}

/** Cumulative success by round: once a round succeeded, every later round of the run counts as succeeded. */
function successByRound(rounds: RoundOutcome[]): RoundOutcome[] {
  const byRound = [...rounds].sort((a, b) => a.round - b.round);
  let succeeded = false;
  return byRound.map((outcome) => {
    succeeded ||= outcome.succeeded;
    return { round: outcome.round, succeeded };
  });
}
