/**
 * The CodeAssistBench protocol, as its authors run it (amazon-science/CodeAssistBench): the agent (the
 * maintainer) works in a sandbox until it answers, with `submit` or a reply without tool calls; the simulated
 * user, who knows only the issue and its satisfaction conditions, replies; this repeats until the user is fully
 * satisfied or has replied `userRounds` times (10 by default, as theirs). Where the task ships a Dockerfile,
 * the agent's changes are validated in its image before each reply and before the verdict. A judge, given the
 * reference thread and the agent's final answer, gives the verdict that is the reward. Every step is recorded
 * as it happens, so a killed conversation resumes where it stopped. A failing user or judge model is the
 * machinery's failure: the run is then unscored, never 0.
 */
import { createHash } from 'node:crypto';
import type { EvaluatorOptions } from '../../../reward/evaluator';
import { ImageBuildError } from '../../../sandbox/engine';
import { BrokenRepositoryError, InfrastructureError, type Sandbox } from '../../../sandbox/sandbox';
import { environmentFor, languageDefaults } from '../../../task/environment';
import { resolveRepoSource } from '../../../task/repoResolver';
import type { Task, TaskEnvironment } from '../../../task/task';
import { unscorable, type RunEvent, type Turn } from '../../../trajectory/types';
import { brokenRepositoryReason, endsRound, type AgentRunOutcome } from '../../loop';
import type { ChatMessage } from '../../policies/policy';
import {
  finalPatch,
  protocolMessage,
  type CabSpec,
  type ProtocolEnvironment,
  type ProtocolOutcome,
  type RolloutProtocol,
  type RolloutSession,
} from '../protocol';
import { dockerfileImageTag } from './dockerfileImage';
import { validateInImage, type DockerValidation } from './dockerValidation';
import { judgeAnswer, VERDICT_REWARD, type Verdict } from './judge';
import { askUser, type ConversationEntry, type SatisfactionStatus } from './simulatedUser';

/** A user reply as its `user_feedback` event records it. */
interface ReplyRecord {
  round: number;
  status: SatisfactionStatus;
  /** The reply the agent was shown (without the status section). */
  message: string;
  /** The agent's answer the user replied to. */
  answer: string;
}

/** A Docker validation as its `docker_validation` event records it. */
interface ValidationRecord extends DockerValidation {
  /** The work tree that was validated, by the hash of its patch. */
  patch_sha: string;
}

function maintainerPrompt(workdir: string): string {
  return [
    "You are a maintainer of this project answering a user's question on its issue tracker.",
    `The repository is checked out at ${workdir} inside a sandbox with no network access; explore it with the tools, and change it when a fix is what the user needs.`,
    'When you have a complete answer, write it as a reply without tool calls (or call `submit` with the answer as its summary).',
    'The user may answer with follow-up questions: each answer must be complete on its own, repeating anything still needed from earlier ones.',
  ].join('\n');
}

function issuePrompt(task: Task): string {
  const parts = [`<issue title="${task.cab?.title ?? task.id}">\n${task.problemStatement.trim()}\n</issue>`];
  if (task.cab?.dockerfile)
    parts.push(
      `The issue comes with this Dockerfile for the project's environment:\n\`\`\`dockerfile\n${task.cab.dockerfile.trim()}\n\`\`\``,
    );
  return parts.join('\n\n');
}

/** The agent's answer in a round: the text of its last reply and the summary it submitted, if any. */
export function agentAnswer(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((message) => message.role === 'assistant');
  if (last?.role !== 'assistant') return '';
  const submitted = (last.tool_calls ?? [])
    .filter((call) => call.function.name === 'submit')
    .map((call) => {
      try {
        const summary = (JSON.parse(call.function.arguments) as { summary?: unknown }).summary;
        return typeof summary === 'string' ? summary : '';
      } catch {
        return '';
      }
    });
  return [last.content ?? '', ...submitted]
    .map((part) => part.trim())
    .filter(Boolean)
    .join('\n\n');
}

export class CabProtocol implements RolloutProtocol {
  readonly name = 'cab';
  /** Set when the agent works in the image built from the task's Dockerfile: its changes are then validated there. */
  private dockerImage?: string;

  constructor(private readonly spec: CabSpec) {}

  /**
   * The task's Dockerfile built on the engine that runs it; where it does not build offline, the language
   * profile's image when the fallback is allowed, else an infrastructure error naming the task.
   */
  async startSandbox(
    task: Task,
    evaluator: EvaluatorOptions,
    start: (spec: ProtocolEnvironment['spec']) => Promise<Sandbox>,
  ): Promise<{ sandbox: Sandbox; environment: ProtocolEnvironment }> {
    const profile = await profileEnvironment(task, evaluator);
    const dockerfile = task.cab?.dockerfile;
    if (!dockerfile) return { sandbox: await start(profile.spec), environment: profile };
    const built: ProtocolEnvironment = {
      // Its Dockerfile's clone of the repository would show the agent the commits after the issue (the fix).
      spec: { ...profile.spec, image: dockerfileImageTag(task, dockerfile), dockerfile, hideImageHistory: true },
      install: [],
    };
    try {
      const sandbox = await start(built.spec);
      this.dockerImage = built.spec.image;
      return { sandbox, environment: built };
    } catch (error) {
      if (!(error instanceof ImageBuildError)) throw error;
      const failure = new InfrastructureError(
        `task ${task.id}: its Dockerfile did not build offline: ${error.message}`,
        'make the base image and everything the Dockerfile downloads available locally, or pass --dockerfile-fallback to run the task in its language profile image',
      );
      if (!this.spec.dockerfileFallback) throw failure;
      const event = { kind: 'dockerfile_fallback', data: { error: failure.message, image: profile.spec.image } };
      return { sandbox: await start(profile.spec), environment: { ...profile, events: [event] } };
    }
  }

  opening(task: Task, workdir: string): ChatMessage[] {
    return [
      { role: 'system', content: maintainerPrompt(workdir) },
      { role: 'user', content: issuePrompt(task) },
    ];
  }

  async run(session: RolloutSession): Promise<ProtocolOutcome> {
    try {
      return await this.converse(session);
    } catch (error) {
      // Git takes no patch once the agent broke its repository: the agent's failure, whenever it shows.
      if (error instanceof BrokenRepositoryError) return brokenRepositoryOutcome(error);
      throw error;
    }
  }

  private async converse(session: RolloutSession): Promise<ProtocolOutcome> {
    const recorded = (kind: string) => session.earlier.events.filter((event) => event.kind === kind);
    const judged = recorded('judge_verdict').at(-1);
    if (judged) return judgedOutcome(judged, await session.sandbox.diff());
    const replies = recorded('user_feedback').map((event) => event.data as unknown as ReplyRecord);
    let validation = recorded('docker_validation').at(-1)?.data as unknown as ValidationRecord | undefined;
    const answered = session.earlier.turns.filter(endsRound);
    let answers = answered.length;
    let lastAnswer = answered.length ? agentAnswer(answered[answered.length - 1].messages as ChatMessage[]) : '';
    const pending = pendingReply(recorded('user_feedback').at(-1), session.earlier.turns, this.spec.userRounds);
    if (pending) session.messages.push(pending);
    const user = await session.policy(this.spec.userPolicySpec, replies.length);

    let end: Pick<AgentRunOutcome, 'exitStatus' | 'reason'> = { exitStatus: 'submitted' };
    while (!this.conversationOver(replies)) {
      const round = replies.length + 1;
      if (answers < round) {
        const outcome = await session.agent({ answerEndsRound: true });
        if (outcome.exitStatus !== 'submitted') {
          end = outcome;
          break;
        }
        answers = round;
        lastAnswer = agentAnswer(session.messages);
      }
      validation = await this.validate(session, round, validation);
      let reply;
      try {
        reply = await askUser(user, session.task, transcript(replies, lastAnswer), validation, session.signal);
      } catch (error) {
        const reason = `the simulated user's model failed: ${error instanceof Error ? error.message : String(error)}`;
        await session.recorder.recordEvent('user_error', { round, error: reason });
        return unscored(session, session.signal?.aborted ? 'cancelled' : 'infra_error', reason);
      }
      const usage = await session.budget.charge('user', reply.response);
      const record: ReplyRecord = { round, status: reply.status, message: reply.message, answer: lastAnswer };
      await session.recorder.recordEvent('user_feedback', {
        ...record,
        status_parsed: reply.statusParsed,
        ...(reply.reason ? { reason: reply.reason } : {}),
        reply: reply.raw,
        ...(reply.response.reasoning ? { reasoning: reply.response.reasoning } : {}),
        usage,
      });
      if (!reply.statusParsed)
        await session.recorder.recordEvent('user_status_malformed', {
          round,
          treated_as: 'NOT_SATISFIED',
          reply: reply.raw,
        });
      replies.push(record);
      if (!this.conversationOver(replies)) session.messages.push(userMessage(record));
    }
    if (unscorable(end.exitStatus)) return unscored(session, end.exitStatus, end.reason);
    validation = await this.validate(session, replies.length, validation);
    return this.judge(session, end, lastAnswer, replies, validation);
  }

  private conversationOver(replies: ReplyRecord[]): boolean {
    const last = replies[replies.length - 1];
    return last !== undefined && (last.status === 'FULLY_SATISFIED' || replies.length >= this.spec.userRounds);
  }

  /** Validates the work tree in the task's Docker image, unless that tree was validated already. */
  private async validate(
    session: RolloutSession,
    round: number,
    previous: ValidationRecord | undefined,
  ): Promise<ValidationRecord | undefined> {
    if (!this.dockerImage) return undefined;
    const patch = await session.sandbox.diff();
    const patchSha = createHash('sha256').update(patch).digest('hex');
    if (previous?.patch_sha === patchSha) return previous;
    const result = await validateInImage(
      session.createSandbox,
      { ...session.sandboxSpec, runId: session.runId, hideImageHistory: false },
      patch,
    );
    const record: ValidationRecord = { ...result, patch_sha: patchSha };
    await session.recorder.recordEvent('docker_validation', { round, ...record });
    return record;
  }

  private async judge(
    session: RolloutSession,
    end: Pick<AgentRunOutcome, 'exitStatus' | 'reason'>,
    finalAnswer: string,
    replies: ReplyRecord[],
    validation: ValidationRecord | undefined,
  ): Promise<ProtocolOutcome> {
    const patch = await session.sandbox.diff();
    const judge = await session.policy(this.spec.judgePolicySpec, 0);
    let judgement;
    try {
      judgement = await judgeAnswer(judge, session.task, finalAnswer, patch, validation, session.signal);
    } catch (error) {
      const reason = `the judge's model failed: ${error instanceof Error ? error.message : String(error)}`;
      await session.recorder.recordEvent('judge_error', { error: reason });
      return unscored(session, session.signal?.aborted ? 'cancelled' : 'infra_error', reason);
    }
    const usage = await session.budget.charge('judge', judgement.response);
    const report = {
      protocol: 'cab',
      verdict: judgement.verdict ?? null,
      ...(judgement.judgeVerdict !== undefined
        ? { judge_verdict: judgement.judgeVerdict, overruled_by: 'docker_validation' }
        : {}),
      alignment: judgement.alignment ?? null,
      user_rounds: replies.length,
      final_status: replies[replies.length - 1]?.status ?? null,
      docker_validation: validation ? { success: validation.success } : null,
      user_policy: this.spec.userPolicySpec,
      judge_policy: this.spec.judgePolicySpec,
      judge_reply: judgement.raw,
    };
    await session.recorder.recordEvent('judge_verdict', {
      verdict: judgement.verdict ?? null,
      reward: judgement.reward,
      reply: judgement.raw,
      ...(judgement.response.reasoning ? { reasoning: judgement.response.reasoning } : {}),
      usage,
      exit_status: end.exitStatus,
      ...(end.reason ? { reason: end.reason } : {}),
      report,
    });
    return outcomeOfVerdict(judgement.verdict, end, patch, report);
  }
}

/** The image of a task without a (buildable) Dockerfile: its repository's spec, its language's profile, or python's. */
async function profileEnvironment(task: Task, evaluator: EvaluatorOptions): Promise<ProtocolEnvironment> {
  const known = (task.repo.name && evaluator.specs?.[task.repo.name]) || languageDefaults(task.language);
  const environment: Pick<TaskEnvironment, 'image' | 'profile' | 'install'> = known
    ? environmentFor(task, evaluator.specs)
    : { profile: 'python', install: [] };
  return {
    spec: {
      image: environment.image ?? evaluator.imageForProfile(environment.profile ?? 'python'),
      repo: await resolveRepoSource(task, evaluator.repos),
    },
    install: environment.install,
  };
}

function transcript(replies: ReplyRecord[], answer: string): ConversationEntry[] {
  return [
    ...replies.flatMap((reply): ConversationEntry[] => [
      { speaker: 'maintainer', text: reply.answer },
      { speaker: 'user', text: reply.message },
    ]),
    { speaker: 'maintainer', text: answer },
  ];
}

function userMessage(reply: Pick<ReplyRecord, 'message' | 'round'>): ChatMessage {
  return protocolMessage('simulated_user', reply.round, reply.message);
}

/** A reply recorded before the run stopped that no turn holds yet: the agent gets it now, unless it ended the talk. */
function pendingReply(event: RunEvent | undefined, turns: Turn[], userRounds: number): ChatMessage | undefined {
  const reply = event?.data as unknown as ReplyRecord | undefined;
  if (!event || !reply || event.after_turn !== turns.length) return undefined;
  if (reply.status === 'FULLY_SATISFIED' || reply.round >= userRounds) return undefined;
  return userMessage(reply);
}

async function unscored(
  session: RolloutSession,
  exitStatus: ProtocolOutcome['exitStatus'],
  reason: string | undefined,
): Promise<ProtocolOutcome> {
  return { exitStatus, reason, patch: await finalPatch(session.sandbox), reward: null };
}

function outcomeOfVerdict(
  verdict: Verdict | undefined,
  end: Pick<AgentRunOutcome, 'exitStatus' | 'reason'>,
  patch: string,
  report: Record<string, unknown>,
): ProtocolOutcome {
  if (!verdict)
    return {
      exitStatus: 'infra_error',
      reason: 'the judge named no VERDICT (CORRECT, PARTIALLY CORRECT or INCORRECT): unscored',
      patch,
      reward: null,
      report,
    };
  return {
    exitStatus: end.exitStatus,
    reason: end.reason,
    patch,
    reward: { value: VERDICT_REWARD[verdict], resolved: verdict === 'CORRECT', report },
    report,
  };
}

/** A run whose agent broke its repository: its changes can be neither validated nor judged, so it earns nothing. */
function brokenRepositoryOutcome(error: BrokenRepositoryError): ProtocolOutcome {
  const reason = brokenRepositoryReason(error.message);
  const report = { protocol: 'cab', verdict: null, not_judged: reason };
  return {
    exitStatus: 'error',
    reason,
    patch: '',
    reward: { value: VERDICT_REWARD.INCORRECT, resolved: false, report },
    report,
  };
}

/** The outcome a run recorded before it stopped between the verdict and its last line. */
function judgedOutcome(event: RunEvent, patch: string): ProtocolOutcome {
  const data = event.data ?? {};
  return outcomeOfVerdict(
    (data.verdict as Verdict | null) ?? undefined,
    {
      exitStatus: (data.exit_status as AgentRunOutcome['exitStatus']) ?? 'submitted',
      reason: data.reason as string | undefined,
    },
    patch,
    (data.report as Record<string, unknown>) ?? {},
  );
}
