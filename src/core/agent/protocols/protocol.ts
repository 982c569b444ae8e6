/**
 * A protocol is how one kind of task is conversed and scored: SWE (the agent fixes, the tests grade),
 * SWE with test feedback (MINT: an unresolved submission gets feedback and another round), and
 * CodeAssistBench (a simulated user follows up, a judge gives the verdict). The rollout lifecycle
 * (rollout.ts) opens the environment, records and summarises; a protocol only converses and scores.
 */
import type { EvaluatorOptions } from '../../reward/evaluator';
import { takeDiff, type Sandbox, type SandboxFactory, type SandboxSpec } from '../../sandbox/sandbox';
import type { Task } from '../../task/task';
import type { TrajectoryRecorder } from '../../trajectory/recorder';
import type { ExitStatus, RewardResult, RunMetadata, Trajectory, TurnSignals } from '../../trajectory/types';
import type { RunBudget } from '../budget';
import type { AgentRunOutcome } from '../loop';
import type { ChatMessage, Policy } from '../policies/policy';

export type ProtocolName = 'swe' | 'swe-feedback' | 'cab';

/**
 * The protocol a run was recorded in. A run records `run.extra.protocol` as `{ name, spec }`; version 0.1's
 * CodeAssistBench runs wrote the name alone, and its other runs nothing (they are SWE runs).
 */
export function recordedProtocolName(run: RunMetadata): string {
  const recorded = run.extra?.protocol;
  if (typeof recorded === 'string') return recorded;
  const name = (recorded as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : 'swe';
}

/** CodeAssistBench runs up to 10 replies of the simulated user (its `max_conversation_rounds`). */
export const DEFAULT_USER_ROUNDS = 10;

/** The CodeAssistBench protocol's settings, by policy spec. */
export interface CabSpec {
  /** The simulated user's and the judge's models (policy specs such as `openai:gpt-4o`). */
  userPolicySpec: string;
  judgePolicySpec: string;
  /** Most replies of the simulated user. */
  userRounds: number;
  /** Run a task whose Dockerfile does not build offline in its language profile image instead of failing. */
  dockerfileFallback?: boolean;
}

export const FEEDBACK_SOURCES = ['tests', 'model'] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

/** Test-feedback rounds (MINT): after a submission that does not resolve the task, feedback and another round. */
export interface FeedbackSpec {
  /** Most feedback rounds after the first submission: a run has at most `rounds + 1` submissions. */
  rounds: number;
  /** `tests`: the failing tests and the end of the test log; `model`: a feedback model's advice on them. */
  source: FeedbackSource;
  /** The feedback model (source `model`). */
  policySpec?: string;
  /** Name the hidden FAIL_TO_PASS tests in the feedback (they are withheld by default). */
  revealTests?: boolean;
}

/**
 * How tasks are run, as the user gave it: plain data (policy specs, not clients) that a queued job carries to
 * any worker and a run records, so that `--resume` continues with the same settings.
 */
export interface ProtocolSpec {
  /** The reward function of test-graded tasks (a name in REWARD_FUNCTIONS). */
  reward: string;
  cab?: CabSpec;
  feedback?: FeedbackSpec;
}

/** Makes a protocol's model client (simulated user, judge, feedback) from its spec. */
export type PolicyFactory = (spec: string) => Promise<Policy>;

/** What the agent's sandbox is made from, and what is installed in it first. */
export interface ProtocolEnvironment {
  /** An image with the repository copied in, an instance image as it is, or a Dockerfile the engine builds. */
  spec: Pick<SandboxSpec, 'image' | 'repo' | 'instance' | 'workdir' | 'dockerfile' | 'hideImageHistory'>;
  install: string[];
  /** Events a new run records first (e.g. that a Dockerfile gave way to a profile image). */
  events?: { kind: string; data: Record<string, unknown> }[];
}

/** One round's score: a submission graded by the tests. */
export interface RoundScore {
  round: number;
  reward: number | null;
  resolved: boolean | null;
}

/** How a protocol's conversation ended and what it scored. */
export interface ProtocolOutcome {
  exitStatus: ExitStatus;
  /** What ended the run, for every status but `submitted`, or why it is unscored. */
  reason?: string;
  /** The final work tree as a git patch. */
  patch: string;
  reward: RewardResult | null;
  /** Written to the run's `report.json` (a protocol that grades with the tests writes the grader's files itself). */
  report?: unknown;
  /** Each graded round, in order (test-graded protocols). */
  rounds?: RoundScore[];
}

/** What a protocol works with during one run; the lifecycle owns all of it. */
export interface RolloutSession {
  readonly task: Task;
  readonly runId: string;
  /** The run's folder: its log, and the report and grader's files a protocol writes. */
  readonly runDir: string;
  readonly sandbox: Sandbox;
  /** What the agent's sandbox was made from, and how to start another (for a validation in a fresh one). */
  readonly sandboxSpec: ProtocolEnvironment['spec'];
  readonly createSandbox: SandboxFactory;
  readonly recorder: TrajectoryRecorder;
  readonly budget: RunBudget;
  readonly evaluator: EvaluatorOptions;
  /** The agent's policy as the user named it (graded predictions carry it as the model name). */
  readonly policySpec: string;
  /** The whole conversation with the agent so far; a protocol appends its messages (a user reply, feedback). */
  readonly messages: ChatMessage[];
  /** What an earlier process recorded of this run when it is resumed; no turns and no events for a new run. */
  readonly earlier: Pick<Trajectory, 'turns' | 'events'>;
  readonly signal?: AbortSignal;
  /**
   * Runs the agent on the conversation until it submits (or, with `answerEndsRound`, replies without a tool
   * call), or a limit, a cancel or a failure ends the run.
   */
  agent(options?: { answerEndsRound?: boolean }): Promise<AgentRunOutcome>;
  /** A protocol model client, past the `recordedAnswers` answers a resumed run already holds. */
  policy(spec: string, recordedAnswers: number): Promise<Policy>;
  /** Each recorded turn's signals, in turn order, for rewards that count them. */
  turnSignals(): Array<TurnSignals | undefined>;
}

export interface RolloutProtocol {
  readonly name: ProtocolName;
  /** Starts the agent's sandbox for this task (`start` makes one from a spec); says what it was made from. */
  startSandbox(
    task: Task,
    evaluator: EvaluatorOptions,
    start: (spec: ProtocolEnvironment['spec']) => Promise<Sandbox>,
  ): Promise<{ sandbox: Sandbox; environment: ProtocolEnvironment }>;
  /** The first messages of a new conversation. */
  opening(task: Task, workdir: string): ChatMessage[];
  /** Converses from wherever the record stopped, and scores. */
  run(session: RolloutSession): Promise<ProtocolOutcome>;
}

/** The work tree's patch for the run's result: none when the agent broke the repository so that git takes none. */
export async function finalPatch(sandbox: Sandbox): Promise<string> {
  const tree = await takeDiff(sandbox);
  return 'diff' in tree ? tree.diff : '';
}

/** Who wrote a user message that is not the task's, as the record marks it (`extra.speaker`). */
export type Speaker = 'simulated_user' | 'test_feedback' | 'model_feedback';

/** A message a protocol adds to the conversation, marked in the record with who wrote it and the round it answers. */
export function protocolMessage(speaker: Speaker, round: number, content: string): ChatMessage {
  return { role: 'user', content, extra: { speaker, round } };
}

/** The protocol mark of a recorded message, when a protocol wrote it. */
export function protocolMark(message: {
  extra?: Record<string, unknown>;
}): { speaker: string; round?: number } | undefined {
  const { speaker, round } = message.extra ?? {};
  if (typeof speaker !== 'string') return undefined;
  return { speaker, ...(typeof round === 'number' ? { round } : {}) };
}

/** The round a turn opens: the one after the round that a protocol message at its start answers. */
export function roundOpenedBy(turn: { messages: { extra?: Record<string, unknown> }[] }): number | undefined {
  const round = turn.messages.map(protocolMark).find((mark) => mark?.round !== undefined)?.round;
  return round === undefined ? undefined : round + 1;
}
