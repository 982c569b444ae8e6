/**
 * The SWE protocol: the agent fixes the issue in its sandbox and submits; the work tree is graded by the
 * task's tests in a fresh sandbox, exactly as `rollout eval` grades predictions. With feedback rounds (MINT's
 * protocol for code), a submission that does not resolve the task gets feedback (the failing tests, or a
 * feedback model's advice) and the agent continues in the same sandbox, up to the rounds given. Every round's
 * score is recorded; the last one is the run's reward.
 */
import { writeEvaluationFiles } from '../../reward/evalRun';
import { evaluatePrediction, resolvedOf, type EvaluationResult, type EvaluatorOptions } from '../../reward/evaluator';
import { harnessRulesFor } from '../../reward/harnessRules';
import { REWARD_FUNCTIONS } from '../../reward/index';
import type { InstanceReport } from '../../reward/instanceReport';
import type { RewardFn } from '../../reward/rewardFn';
import { takeDiff, type Sandbox } from '../../sandbox/sandbox';
import { taskSandbox } from '../../task/taskSandbox';
import { NO_FAIL_TO_PASS, testsCanGrade, type Task } from '../../task/task';
import { unscorable, type ExitStatus, type RunEvent } from '../../trajectory/types';
import { endsRound, type AgentRunOutcome } from '../loop';
import type { ChatMessage } from '../policies/policy';
import { systemPrompt, taskPrompt } from '../prompts';
import { logTail, type FeedbackComposer, type GradedRound } from './feedback/feedback';
import { modelFeedback } from './feedback/modelFeedback';
import { testFeedback } from './feedback/testFeedback';
import {
  finalPatch,
  protocolMessage,
  type FeedbackSource,
  type FeedbackSpec,
  type ProtocolEnvironment,
  type ProtocolName,
  type ProtocolOutcome,
  type RolloutProtocol,
  type RolloutSession,
  type RoundScore,
  type Speaker,
} from './protocol';

/** A graded round as the `round_scored` event records it. */
interface RoundRecord {
  round: number;
  reward: number | null;
  resolved: boolean | null;
  evaluation_status: GradedRound['evaluationStatus'];
  explanation: string;
  /** The per-turn rewards the value includes, when the reward function counts any. */
  turn_rewards?: number[];
  error?: string;
  /** Why the agent's round ended (`submitted`, or the limit that ended it). */
  agent_exit: ExitStatus;
  agent_reason?: string;
  report?: InstanceReport;
  log_tail: string;
}

export function rewardFunction(name: string): RewardFn {
  const make = REWARD_FUNCTIONS[name];
  if (!make)
    throw new Error(`unknown reward function '${name}': use one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}`);
  return make();
}

export class SweProtocol implements RolloutProtocol {
  readonly name: ProtocolName;
  private readonly rewardFn: RewardFn;

  constructor(
    reward: string,
    private readonly feedback?: FeedbackSpec,
  ) {
    this.rewardFn = rewardFunction(reward);
    this.name = feedback && feedback.rounds > 0 ? 'swe-feedback' : 'swe';
  }

  async startSandbox(
    task: Task,
    evaluator: EvaluatorOptions,
    start: (spec: ProtocolEnvironment['spec']) => Promise<Sandbox>,
  ): Promise<{ sandbox: Sandbox; environment: ProtocolEnvironment }> {
    if (!testsCanGrade(task)) throw new Error(`task ${task.id}: ${NO_FAIL_TO_PASS}; its tests cannot grade a run`);
    const { environment, spec } = await taskSandbox(task, evaluator, 'agent');
    return { sandbox: await start(spec), environment: { spec, install: environment.install } };
  }

  opening(task: Task, workdir: string): ChatMessage[] {
    return [
      { role: 'system', content: systemPrompt(workdir) },
      { role: 'user', content: taskPrompt(task) },
    ];
  }

  async run(session: RolloutSession): Promise<ProtocolOutcome> {
    const totalRounds = 1 + (this.feedback?.rounds ?? 0);
    const earlierEvents = (kind: string) => session.earlier.events.filter((event) => event.kind === kind);
    const graded = earlierEvents('round_scored').map((event) => event.data as unknown as RoundRecord);
    const feedbackEvents = earlierEvents('feedback');
    let roundsEnded = session.earlier.turns.filter(endsRound).length;
    let feedbackGiven = feedbackEvents.length;
    const pending = pendingMessage(feedbackEvents.at(-1), session.earlier.turns.length);
    if (pending) session.messages.push(pending);
    const composer = await this.composer(session, feedbackEvents.filter((e) => e.data?.source === 'model').length);

    for (;;) {
      const last = graded.at(-1);
      if (last && isFinal(last, totalRounds))
        return outcomeOf(graded, await finalPatch(session.sandbox), this.rewardFn.name);
      if (last && composer && feedbackGiven < last.round) {
        await giveFeedback(session, composer, last, totalRounds, this.feedback?.revealTests === true);
        feedbackGiven = last.round;
        continue;
      }
      const round = (last?.round ?? 0) + 1;
      let agent: Pick<AgentRunOutcome, 'exitStatus' | 'reason'> = { exitStatus: 'submitted' };
      if (roundsEnded < round) {
        agent = await session.agent();
        if (unscorable(agent.exitStatus))
          return { ...agent, patch: await finalPatch(session.sandbox), reward: null, rounds: roundScores(graded) };
        roundsEnded = round;
      }
      graded.push(await this.grade(session, round, agent));
    }
  }

  private async composer(
    session: RolloutSession,
    recordedModelFeedback: number,
  ): Promise<FeedbackComposer | undefined> {
    if (!this.feedback || this.feedback.rounds === 0) return undefined;
    if (this.feedback.source === 'tests') return testFeedback;
    if (!this.feedback.policySpec)
      throw new Error('feedback source `model` needs a feedback model (--feedback-policy)');
    return modelFeedback(await session.policy(this.feedback.policySpec, recordedModelFeedback), session.budget);
  }

  /** Grades the work tree as this round's submission and records the score. */
  private async grade(
    session: RolloutSession,
    round: number,
    agent: Pick<AgentRunOutcome, 'exitStatus' | 'reason'>,
  ): Promise<RoundRecord> {
    const evaluation = await evaluateWorkTree(session, agent);
    const reward = this.rewardFn.compute({ evaluation, turnSignals: session.turnSignals() });
    // The grader's files (the harness's report.json, the test output, result.json): the last round's stay.
    await writeEvaluationFiles(session.runDir, evaluation);
    const record: RoundRecord = {
      round,
      reward: reward.value,
      resolved: resolvedOf(evaluation),
      evaluation_status: evaluation.status,
      explanation: reward.explanation,
      ...(reward.turnRewards ? { turn_rewards: reward.turnRewards } : {}),
      ...(evaluation.error ? { error: evaluation.error } : {}),
      agent_exit: agent.exitStatus,
      ...(agent.reason ? { agent_reason: agent.reason } : {}),
      ...(evaluation.report ? { report: evaluation.report } : {}),
      log_tail: logTail(evaluation.testOutput),
    };
    await session.recorder.recordEvent('round_scored', { ...record });
    return record;
  }
}

/** The work tree graded as the round's submission, exactly as `rollout eval` grades a prediction. */
async function evaluateWorkTree(
  session: RolloutSession,
  agent: Pick<AgentRunOutcome, 'exitStatus'>,
): Promise<EvaluationResult> {
  const { task, policySpec: modelName } = session;
  const tree = await takeDiff(session.sandbox);
  if ('broken' in tree)
    // The agent's failure: graded as a patch that cannot be applied, never run, never an infrastructure error.
    return {
      instanceId: task.id,
      modelName,
      status: 'patch-failed',
      harnessVersion: harnessRulesFor(task, session.evaluator).harnessVersion,
      testOutput: '',
      log: '',
      error: `no patch can be taken from the work tree: ${tree.broken}`,
      attempts: 0,
      durationMs: 0,
    };
  const submitted = agent.exitStatus === 'submitted' || tree.diff !== '';
  return evaluatePrediction(
    task,
    { instanceId: task.id, modelName, patch: submitted ? tree.diff : null },
    { ...session.evaluator, runId: undefined },
  );
}

/**
 * The last round, when no further one follows: ungraded (the machinery or the log's parser failed, so no feedback
 * could be true and the run is unscored), resolved, out of rounds, or the agent stopped by a limit.
 */
function isFinal(record: RoundRecord, totalRounds: number): boolean {
  const ungraded = record.resolved === null;
  return ungraded || record.resolved === true || record.round >= totalRounds || record.agent_exit !== 'submitted';
}

async function giveFeedback(
  session: RolloutSession,
  composer: FeedbackComposer,
  record: RoundRecord,
  totalRounds: number,
  revealTests: boolean,
): Promise<void> {
  const feedback = await composer.compose({
    task: session.task,
    graded: {
      round: record.round,
      evaluationStatus: record.evaluation_status,
      error: record.error,
      report: record.report,
      logTail: record.log_tail,
    },
    patch: await finalPatch(session.sandbox),
    totalRounds,
    revealTests,
    signal: session.signal,
  });
  await session.recorder.recordEvent('feedback', {
    round: record.round,
    source: composer.source,
    message: feedback.message,
    ...(feedback.usage ? { usage: feedback.usage } : {}),
  });
  session.messages.push(protocolMessage(feedbackSpeaker(composer.source), record.round, feedback.message));
}

/** A recorded feedback message that no turn holds yet (the run stopped right after it): the agent gets it now. */
function pendingMessage(event: RunEvent | undefined, turns: number): ChatMessage | undefined {
  if (!event || event.after_turn !== turns || typeof event.data?.message !== 'string') return undefined;
  return protocolMessage(
    feedbackSpeaker(event.data.source as FeedbackSource),
    Number(event.data.round),
    event.data.message,
  );
}

function feedbackSpeaker(source: FeedbackSource): Speaker {
  return source === 'model' ? 'model_feedback' : 'test_feedback';
}

function roundScores(graded: RoundRecord[]): RoundScore[] {
  return graded.map(({ round, reward, resolved }) => ({ round, reward, resolved }));
}

function outcomeOf(graded: RoundRecord[], patch: string, rewardName: string): ProtocolOutcome {
  const last = graded[graded.length - 1];
  const rounds = roundScores(graded);
  if (last.evaluation_status === 'infra-error')
    return { exitStatus: 'infra_error', reason: last.error ?? 'the evaluation failed', patch, reward: null, rounds };
  return {
    exitStatus: last.agent_exit,
    reason: last.agent_reason,
    patch,
    reward: {
      value: last.reward,
      resolved: last.resolved ?? undefined,
      ...(last.turn_rewards ? { turn_rewards: last.turn_rewards } : {}),
      report: {
        reward_fn: rewardName,
        explanation: last.explanation,
        evaluation_status: last.evaluation_status,
        report: last.report,
        rounds,
      },
    },
    rounds,
  };
}
