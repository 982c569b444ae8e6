/**
 * The one rollout lifecycle: open the task's environment, converse and score in the task's protocol (SWE,
 * SWE with test feedback, CodeAssistBench), record every step, summarise. The CLI, the extension, queue
 * workers and `--resume` all run rollouts through here.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicFile';
import type { EvaluatorOptions } from '../reward/evaluator';
import { BrokenRepositoryError, type InstanceSetup, type Sandbox, type SandboxFactory } from '../sandbox/sandbox';
import type { Task } from '../task/task';
import { LeaseLostError, TrajectoryRecorder, type RecorderOptions } from '../trajectory/recorder';
import { workaroundsOfTurn } from '../trajectory/request';
import {
  conversation,
  type ExitStatus,
  type RunMetadata,
  type RunResult,
  type Trajectory,
  type TurnSignals,
} from '../trajectory/types';
import { RunBudget, type RoleUsage } from './budget';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config';
import {
  COMPACTION_STRATEGIES,
  compactionStateFromEvents,
  type CompactionState,
  type CompactionStrategy,
} from './context/contextManager';
import { brokenRepositoryAtEnd, CANCEL_REASON, runAgent, unusableRepliesAtEnd } from './loop';
import { recordedModel, type ChatMessage, type Policy } from './policies/policy';
import { protocolFor, protocolPolicy } from './protocols/index';
import {
  recordedProtocolName,
  type PolicyFactory,
  type ProtocolEnvironment,
  type ProtocolName,
  type ProtocolOutcome,
  type ProtocolSpec,
  type RolloutProtocol,
  type RolloutSession,
  type RoundScore,
} from './protocols/protocol';
import type { Toolbox } from './tools/toolbox';

export interface RolloutOptions {
  task: Task;
  policy: Policy;
  /** The policy as the user named it (`openai:gpt-4o`, `recorded:…`), recorded in the run. */
  policySpec: string;
  toolbox: Toolbox;
  /** The protocol's settings (reward, CodeAssistBench models, feedback rounds); the protocol is the task's kind's. */
  protocol: ProtocolSpec;
  /** Makes the protocol's model clients from their specs (default: `createPolicy`, temperature 0 where the model takes it). */
  createPolicy?: PolicyFactory;
  outDir: string;
  attempt?: number;
  /** Fixed in advance when a queue or a resume needs to know it; otherwise made up. */
  runId?: string;
  /** Continue the unfinished run with this id instead of starting a new one. */
  resume?: boolean;
  config?: Partial<AgentConfig>;
  evaluator: EvaluatorOptions;
  createSandbox: SandboxFactory;
  /** Secret strings (API keys) to keep out of the record, beyond those found in the environment. */
  secrets?: string[];
  /** A queue worker's lease check and shared-storage copy around each recorded line. */
  recordHooks?: Pick<RecorderOptions, 'beforeWrite' | 'afterWrite'>;
  toolVersions?: Record<string, string>;
  /** Told the log's path once the run's record is open, before its first turn: live playback follows it. */
  onRecordOpened?: (logPath: string) => void;
  signal?: AbortSignal;
}

export interface RolloutSummary {
  runId: string;
  taskId: string;
  attempt: number;
  protocol?: ProtocolName;
  exitStatus: ExitStatus;
  resolved: boolean | null;
  reward: number | null;
  /** Each graded round's score, for test-graded protocols (one round without feedback). */
  rounds?: RoundScore[];
  turns: number;
  /** Every model's tokens: the agent's and the protocol's (simulated user, judge, feedback). */
  tokens: number;
  /** Every model's cost; null when any call's cost is unknown (no price). */
  costUsd?: number | null;
  durationMs: number;
  path: string;
  reason?: string;
}

/**
 * The limits and compaction a run recorded (`run.extra.agent_config`); a limit JSON wrote as null was
 * Infinity, no limit.
 */
export function recordedAgentConfig(run: RunMetadata): Partial<AgentConfig> {
  const recorded = run.extra?.agent_config;
  if (!recorded || typeof recorded !== 'object') return {};
  return Object.fromEntries(
    Object.entries(recorded).flatMap(([key, value]) => {
      // Older logs recorded settings that are no longer limits (contextWindowTokens, keepRecentTurns).
      if (!(key in DEFAULT_AGENT_CONFIG)) return [];
      if (key === 'compaction')
        return COMPACTION_STRATEGIES.includes(value as CompactionStrategy) ? [[key, value]] : [];
      return value === null ? [[key, Number.POSITIVE_INFINITY]] : typeof value === 'number' ? [[key, value]] : [];
    }),
  );
}

/** `<task>.a<attempt>.<hex>`: the hex is random unless the caller fixes it (a queued job's digest of its run spec). */
export function newRunId(taskId: string, attempt: number, hex = randomBytes(3).toString('hex')): string {
  return `${taskId.replace(/[^A-Za-z0-9._-]/g, '_')}.a${attempt}.${hex}`;
}

export async function runRollout(options: RolloutOptions): Promise<RolloutSummary> {
  const started = performance.now();
  const { task } = options;
  const attempt = options.attempt ?? 0;
  const runId = options.runId ?? newRunId(task.id, attempt);
  const protocol = protocolFor(task, options.protocol);
  const { sandbox, environment } = await protocol.startSandbox(task, options.evaluator, (spec) =>
    options.createSandbox({ ...spec, runId, signal: options.signal }),
  );
  let recorder: TrajectoryRecorder | undefined;
  let budget: RunBudget | undefined;
  let finished = false;
  try {
    await installEnvironment(sandbox, task, environment.install, options.signal);
    const opened = await openRecord(options, protocol, runId, attempt, {
      image: environment.spec.image,
      repo: environment.spec.repo,
      instance: environment.spec.instance,
      hideImageHistory: environment.spec.hideImageHistory,
      baseCommit: environment.spec.repo?.commit ?? sandbox.baseCommit,
      workdir: sandbox.workdir,
      install: environment.install,
    });
    recorder = opened.recorder;
    options.onRecordOpened?.(recorder.path);
    // Every recorded turn holds one answer of the agent's policy: a recorded one continues after them.
    if (opened.earlier.turns.length)
      options.policy.resumeAfter?.({
        answers: opened.earlier.turns.length,
        workarounds: opened.earlier.turns.flatMap(workaroundsOfTurn),
      });
    if (!options.resume)
      for (const event of environment.events ?? []) await recorder.recordEvent(event.kind, event.data);
    if (opened.startDiff) await applyPatch(sandbox, opened.startDiff);
    const config = { ...DEFAULT_AGENT_CONFIG, ...options.config };
    budget = RunBudget.restore(config, opened.earlier, {
      recordEvent: (kind, data) => opened.recorder.recordEvent(kind, data),
    });
    const session = new Session(options, runId, sandbox, environment.spec, recorder, budget, config, opened);
    const outcome = await protocol.run(session);
    if (outcome.report !== undefined) await writeReport(options.outDir, runId, outcome.report);
    finished = true;
    const result = await finishRecord(recorder, outcome, budget);
    return summarize(options, protocol, runId, attempt, outcome, result, started, recorder.path);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      // A run whose record another process took over is left to it, untouched.
      await recorder?.close();
      throw error;
    }
    if (!recorder || finished) throw error;
    // A cancel that lands outside the agent loop (grading, a protocol model's call) ends the run as inside it.
    if (options.signal?.aborted) {
      const cancelled: ProtocolOutcome = { exitStatus: 'cancelled', reason: CANCEL_REASON, patch: '', reward: null };
      const result = await finishRecord(recorder, cancelled, budget);
      return summarize(options, protocol, runId, attempt, cancelled, result, started, recorder.path);
    }
    // A run that broke in the machinery is closed as such, so that what was recorded stays readable and unscored.
    const reason = error instanceof Error ? error.message : String(error);
    await finishRecord(recorder, { exitStatus: 'infra_error', reason, patch: '', reward: null }, budget).catch(
      () => undefined,
    );
    throw error;
  } finally {
    // Only once the record is closed: an engine that fails to remove the container then costs no computed score,
    // and a container left behind is the reaper's.
    await sandbox.destroy().catch(() => undefined);
  }
}

/** What the protocol sees of the run: the lifecycle's sandbox, record, budget and agent. */
class Session implements RolloutSession {
  readonly task: Task;
  readonly evaluator: EvaluatorOptions;
  readonly policySpec: string;
  readonly createSandbox: SandboxFactory;
  readonly messages: ChatMessage[];
  readonly earlier: Pick<Trajectory, 'turns' | 'events'>;
  readonly signal?: AbortSignal;
  readonly sandbox: Sandbox;
  private recordedMessages: number;
  private diff: string;
  private unusableReplies: number;
  private readonly brokenRepository?: string;
  private readonly compaction?: CompactionState;

  readonly runDir: string;

  constructor(
    private readonly options: RolloutOptions,
    readonly runId: string,
    sandbox: Sandbox,
    readonly sandboxSpec: ProtocolEnvironment['spec'],
    readonly recorder: TrajectoryRecorder,
    readonly budget: RunBudget,
    private readonly config: AgentConfig,
    opened: OpenedRecord,
  ) {
    this.task = options.task;
    this.runDir = join(options.outDir, runId);
    this.evaluator = options.evaluator;
    this.policySpec = options.policySpec;
    this.createSandbox = options.createSandbox;
    this.signal = options.signal;
    this.messages = opened.messages;
    this.earlier = opened.earlier;
    this.recordedMessages = opened.recordedMessages;
    this.diff = opened.startDiff;
    this.unusableReplies = unusableRepliesAtEnd(opened.earlier.turns);
    this.brokenRepository = brokenRepositoryAtEnd(opened.earlier.turns);
    this.sandbox = this.brokenRepository === undefined ? sandbox : withBrokenRepository(sandbox, this.brokenRepository);
    this.compaction = opened.compaction;
  }

  async agent(options: { answerEndsRound?: boolean } = {}) {
    const outcome = await runAgent({
      policy: this.options.policy,
      toolbox: this.options.toolbox,
      sandbox: this.sandbox,
      recorder: this.recorder,
      config: this.config,
      budget: this.budget,
      messages: this.messages,
      recordedMessages: this.recordedMessages,
      startDiff: this.diff,
      answerEndsRun: options.answerEndsRound,
      compaction: this.compaction,
      unusableReplies: this.unusableReplies,
      brokenRepository: this.brokenRepository,
      signal: this.signal,
    });
    this.recordedMessages = outcome.recordedMessages;
    this.diff = outcome.diff;
    this.unusableReplies = outcome.unusableReplies;
    return outcome;
  }

  async policy(spec: string, recordedAnswers: number): Promise<Policy> {
    const policy = await (this.options.createPolicy ?? protocolPolicy)(spec);
    if (recordedAnswers > 0) policy.resumeAfter?.({ answers: recordedAnswers });
    return policy;
  }

  turnSignals(): Array<TurnSignals | undefined> {
    return [...this.recorder.turnSignals];
  }
}

/**
 * The sandbox of a resumed run whose agent broke its repository in the last recorded turn: the work tree restored
 * is the last one with a patch, so its diff fails as the broken one did and the run is graded as it would have been.
 */
function withBrokenRepository(sandbox: Sandbox, reason: string): Sandbox {
  return new Proxy(sandbox, {
    get(target, key) {
      if (key === 'diff') return () => Promise.reject(new BrokenRepositoryError(reason));
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The task's install commands; a cancel stops the one running at once (an install may take half an hour). */
async function installEnvironment(
  sandbox: Sandbox,
  task: Task,
  commands: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const command of commands) {
    const result = await sandbox.exec(command, { asRoot: true, timeoutMs: 30 * 60_000, signal });
    if (result.exitCode !== 0)
      throw new Error(
        `task ${task.id}: install command failed (exit ${result.exitCode}): ${command}\n${result.stderr.slice(-2000)}`,
      );
  }
}

async function applyPatch(sandbox: Sandbox, patch: string): Promise<void> {
  await sandbox.writeFile('/tmp/rollout-resume.patch', patch);
  const applied = await sandbox.exec('git apply --binary /tmp/rollout-resume.patch');
  if (applied.exitCode !== 0)
    throw new Error(`cannot restore the work tree of the resumed run: ${applied.stderr.trim()}`);
}

interface OpenedRecord {
  recorder: TrajectoryRecorder;
  messages: ChatMessage[];
  /** How many of `messages` recorded turns hold: all of a resumed run's, none of a new run's opening. */
  recordedMessages: number;
  /** The work tree of the last recorded turn ('' for a new run). */
  startDiff: string;
  earlier: Pick<Trajectory, 'turns' | 'events'>;
  /** Compaction as a resumed run left it (its last `compaction` event). */
  compaction?: CompactionState;
}

async function openRecord(
  options: RolloutOptions,
  protocol: RolloutProtocol,
  runId: string,
  attempt: number,
  where: {
    image: string;
    repo?: { location: string; commit?: string };
    instance?: InstanceSetup;
    hideImageHistory?: boolean;
    baseCommit?: string;
    workdir: string;
    install: string[];
  },
): Promise<OpenedRecord> {
  const recorderOptions: RecorderOptions = { secrets: options.secrets, ...options.recordHooks };
  if (options.resume) {
    const { recorder, trajectory } = await TrajectoryRecorder.resume(options.outDir, runId, recorderOptions);
    const recordedProtocol = recordedProtocolName(trajectory.run);
    if (recordedProtocol !== protocol.name) {
      await recorder.close();
      throw new Error(
        `run ${runId} was recorded in the ${recordedProtocol} protocol; resuming it in the ${protocol.name} protocol would mix two`,
      );
    }
    const earlier = { turns: trajectory.turns, events: trajectory.events };
    const startDiff = [...trajectory.turns].reverse().find((turn) => turn.diff !== undefined)?.diff ?? '';
    const messages = conversation(trajectory) as ChatMessage[];
    const compaction = compactionStateFromEvents(trajectory.events);
    return {
      recorder,
      messages,
      recordedMessages: messages.length,
      startDiff,
      earlier,
      ...(compaction ? { compaction } : {}),
    };
  }
  const run: RunMetadata = {
    run_id: runId,
    task_id: options.task.id,
    attempt,
    policy: options.policySpec,
    model: recordedModel(options.policy.info).model,
    tools: options.toolbox.definitions,
    tool_versions: options.toolVersions ?? {},
    image: { name: where.image },
    base_commit: where.baseCommit,
    started_at: new Date().toISOString(),
    extra: {
      protocol: { name: protocol.name, spec: options.protocol },
      repo: where.repo,
      instance: where.instance,
      ...(where.hideImageHistory ? { hidden_image_history: true } : {}),
      workdir: where.workdir,
      install: where.install,
      agent_config: { ...DEFAULT_AGENT_CONFIG, ...options.config },
      model_setup: recordedModel(options.policy.info).setup,
    },
  };
  const recorder = await TrajectoryRecorder.start(options.outDir, run, recorderOptions);
  return {
    recorder,
    messages: protocol.opening(options.task, where.workdir),
    recordedMessages: 0,
    startDiff: '',
    earlier: { turns: [], events: [] },
  };
}

/**
 * The run's last line: how it ended and, once the budget exists, every model call's tokens and cost (the
 * protocol's models and compaction summaries beside the agent's turns), however the run ended.
 */
function finishRecord(
  recorder: TrajectoryRecorder,
  outcome: ProtocolOutcome,
  budget: RunBudget | undefined,
): Promise<RunResult> {
  return recorder.finish({
    exit_status: outcome.exitStatus,
    patch: outcome.patch,
    reward: outcome.reward,
    error: outcome.reason,
    ...(budget && {
      totals: withCallsBeyondTurns(recorder.turnTotals, budget.beyondTurnsUsage, budget.costKnown),
      extra: { usage: budget.byRole() },
    }),
  });
}

async function writeReport(outDir: string, runId: string, report: unknown): Promise<void> {
  await writeFileAtomic(join(outDir, runId, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * The run's totals: the agent's turns, and on top the tokens, cost and time of the calls that are not turns
 * (compaction summaries, the protocol's models). The cost is unknown (null) once any call's cost was.
 */
function withCallsBeyondTurns(
  turns: NonNullable<RunResult['totals']>,
  beyond: RoleUsage,
  costKnown: boolean,
): NonNullable<RunResult['totals']> {
  return {
    turns: turns.turns,
    tokens_in: turns.tokens_in + beyond.tokens_in,
    tokens_out: turns.tokens_out + beyond.tokens_out,
    cost_usd: turns.cost_usd === null || !costKnown ? null : turns.cost_usd + beyond.cost_usd,
    duration_ms: turns.duration_ms + beyond.model_ms,
  };
}

function summarize(
  options: RolloutOptions,
  protocol: RolloutProtocol,
  runId: string,
  attempt: number,
  outcome: ProtocolOutcome,
  result: {
    exit_status: ExitStatus;
    totals?: RunResult['totals'];
  },
  started: number,
  path: string,
): RolloutSummary {
  return {
    runId,
    taskId: options.task.id,
    attempt,
    protocol: protocol.name,
    exitStatus: result.exit_status,
    resolved: outcome.reward ? (outcome.reward.resolved ?? null) : null,
    reward: outcome.reward?.value ?? null,
    ...(outcome.rounds ? { rounds: outcome.rounds } : {}),
    turns: result.totals?.turns ?? 0,
    tokens: (result.totals?.tokens_in ?? 0) + (result.totals?.tokens_out ?? 0),
    costUsd: result.totals?.cost_usd ?? null,
    durationMs: performance.now() - started,
    path,
    reason: outcome.reason,
  };
}
