/**
 * One CodeAssistBench rollout: the agent (the maintainer) works in a sandbox until it answers, with
 * `submit` or a reply without tool calls; the simulated user answers; this repeats until the user is
 * fully satisfied or has answered `userRounds` times. A judge then gives the verdict that is the reward.
 * Failures of the user or judge models are the machinery's: the run is then unscored, never 0.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomicFile';
import { ImageBuildError } from '../../sandbox/engine';
import { InfrastructureError, type Sandbox } from '../../sandbox/sandbox';
import { taskSandbox, type TaskSandbox } from '../../task/taskSandbox';
import type { Task } from '../../task/task';
import { LeaseLostError, TrajectoryRecorder } from '../../trajectory/recorder';
import type { RunResult } from '../../trajectory/types';
import { DEFAULT_AGENT_CONFIG } from '../config';
import { runAgent, type AgentRunOutcome } from '../loop';
import { recordedModel, type ChatMessage, type Policy } from '../policies/policy';
import { createPolicy } from '../policies/policySpec';
import { newRunId, type RolloutOptions, type RolloutSummary } from '../rollout';
import { dockerfileImageTag } from './dockerfileImage';
import { judgeConversation, type JudgeResult, type TranscriptEntry } from './judge';
import { SimulatedUser, type SatisfactionStatus } from './simulatedUser';

/** The protocol's settings as a user gives them: plain data that a queued job can carry to any worker. */
export interface CabProtocolSpec {
  /** The user and judge policies as the user named them, recorded in the run. */
  userPolicySpec: string;
  judgePolicySpec: string;
  /** Most replies of the simulated user; the conversation ends after the agent's answer to the last one. */
  userRounds: number;
  /** Run a task whose Dockerfile does not build in its language profile image instead of failing. */
  dockerfileFallback?: boolean;
}

export interface CabProtocolOptions extends CabProtocolSpec {
  userPolicy: Policy;
  judgePolicy: Policy;
}

/** Makes the user's and the judge's model clients here, with this machine's API keys. */
export async function createCabProtocol(spec: CabProtocolSpec): Promise<CabProtocolOptions> {
  return {
    ...spec,
    userPolicy: await createPolicy(spec.userPolicySpec),
    judgePolicy: await createPolicy(spec.judgePolicySpec),
  };
}

export type CabRolloutOptions = Omit<RolloutOptions, 'rewardFn' | 'resume'> & { cab: CabProtocolOptions };

export const DEFAULT_USER_ROUNDS = 3;

function maintainerPrompt(workdir: string): string {
  return [
    "You are a maintainer of this project answering a user's question on its issue tracker.",
    `The repository is checked out at ${workdir} inside a sandbox with no network access; explore it with the tools, and change it when a fix is what the user needs.`,
    'When you have a complete answer, write it as a reply without tool calls (or call `submit` with the answer as its summary).',
    'The user may answer with follow-up questions: each answer must be complete on its own, repeating anything still needed from earlier ones.',
  ].join('\n');
}

function issuePrompt(task: Task): string {
  return `<issue title="${task.cab?.title ?? task.id}">\n${task.problemStatement.trim()}\n</issue>`;
}

/** The agent's answer: the text of its last reply and the summary it submitted, if any. */
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

/**
 * The sandbox of a CAB task: built from the task's Dockerfile on the engine that runs it, or, when that does not
 * build and the fallback is allowed, the language profile's image with its install commands.
 */
async function startSandbox(
  options: CabRolloutOptions,
  runId: string,
): Promise<{ sandbox: Sandbox; spec: TaskSandbox['spec']; install: string[]; fallbackFrom?: string }> {
  const { task, evaluator } = options;
  const { environment, spec } = await taskSandbox(task, evaluator);
  const dockerfile = task.cab?.dockerfile;
  if (dockerfile) {
    const built = { ...spec, image: dockerfileImageTag(task, dockerfile), dockerfile };
    try {
      return { sandbox: await options.createSandbox({ ...built, runId }), spec: built, install: [] };
    } catch (error) {
      if (!(error instanceof ImageBuildError)) throw error;
      const failure = new InfrastructureError(
        `task ${task.id}: its Dockerfile did not build offline: ${error.message}`,
        'make the base image and everything the Dockerfile downloads available locally, or pass --dockerfile-fallback to run the task in its language profile image',
      );
      if (!options.cab.dockerfileFallback) throw failure;
      const sandbox = await options.createSandbox({ ...spec, runId });
      return { sandbox, spec, install: environment.install, fallbackFrom: failure.message };
    }
  }
  return { sandbox: await options.createSandbox({ ...spec, runId }), spec, install: environment.install };
}

async function installEnvironment(sandbox: Sandbox, task: Task, commands: string[]): Promise<void> {
  for (const command of commands) {
    const result = await sandbox.exec(command, { asRoot: true, timeoutMs: 30 * 60_000 });
    if (result.exitCode !== 0)
      throw new Error(
        `task ${task.id}: install command failed (exit ${result.exitCode}): ${command}\n${result.stderr.slice(-2000)}`,
      );
  }
}

interface Conversation {
  outcome: AgentRunOutcome;
  transcript: TranscriptEntry[];
  rounds: number;
  finalStatus?: SatisfactionStatus;
}

/** Agent rounds and user replies, each reply going into the turn that follows as a `user` message. */
async function converse(
  options: CabRolloutOptions,
  sandbox: Sandbox,
  recorder: TrajectoryRecorder,
  messages: ChatMessage[],
): Promise<Conversation> {
  const user = new SimulatedUser(options.cab.userPolicy, options.task);
  const config = { ...DEFAULT_AGENT_CONFIG, ...options.config };
  const transcript: TranscriptEntry[] = [];
  let recorded = 0;
  let diff = '';
  for (let rounds = 0; ;) {
    const outcome = await runAgent({
      policy: options.policy,
      toolbox: options.toolbox,
      sandbox,
      recorder,
      config,
      messages,
      recordedMessages: recorded,
      startDiff: diff,
      answerEndsRun: true,
      signal: options.signal,
    });
    if (outcome.exitStatus !== 'submitted') return { outcome, transcript, rounds };
    const answer = agentAnswer(messages);
    transcript.push({ speaker: 'maintainer', text: answer });
    let reply;
    try {
      reply = await user.reply(answer, options.signal);
    } catch (error) {
      const reason = `the simulated user's model failed: ${error instanceof Error ? error.message : String(error)}`;
      await recorder.recordEvent('user_error', { round: rounds + 1, error: reason });
      return {
        outcome: { exitStatus: options.signal?.aborted ? 'cancelled' : 'infra_error', reason },
        transcript,
        rounds,
      };
    }
    rounds += 1;
    await recorder.recordEvent('user_feedback', {
      round: rounds,
      status: reply.status,
      status_parsed: reply.statusParsed,
      reason: reply.reason,
      reply: reply.raw,
      model_ms: reply.response.modelMs,
    });
    if (!reply.statusParsed)
      await recorder.recordEvent('user_status_malformed', {
        round: rounds,
        treated_as: 'NOT_SATISFIED',
        reply: reply.raw,
      });
    transcript.push({ speaker: 'user', text: reply.message });
    if (reply.status === 'FULLY_SATISFIED' || rounds >= options.cab.userRounds)
      return { outcome, transcript, rounds, finalStatus: reply.status };
    recorded = messages.length;
    messages.push({ role: 'user', content: reply.message });
    diff = await sandbox.diff();
  }
}

/** The judge's verdict, or why there is none; a failing judge model leaves the run unscored. */
async function judge(
  options: CabRolloutOptions,
  recorder: TrajectoryRecorder,
  conversation: Conversation,
  patch: string,
): Promise<{ result?: JudgeResult; error?: string }> {
  try {
    const result = await judgeConversation(
      options.cab.judgePolicy,
      options.task,
      conversation.transcript,
      patch,
      options.signal,
    );
    await recorder.recordEvent('judge_verdict', {
      verdict: result.verdict ?? null,
      reward: result.reward,
      reply: result.raw,
      model_ms: result.response.modelMs,
    });
    return result.verdict
      ? { result }
      : { result, error: 'the judge named no VERDICT (CORRECT, PARTIALLY CORRECT or INCORRECT)' };
  } catch (error) {
    const reason = `the judge's model failed: ${error instanceof Error ? error.message : String(error)}`;
    await recorder.recordEvent('judge_error', { error: reason });
    return { error: reason };
  }
}

export async function runCabRollout(options: CabRolloutOptions): Promise<RolloutSummary> {
  const started = performance.now();
  const { task } = options;
  if (!task.cab) throw new Error(`task ${task.id}: the CodeAssistBench protocol needs a CodeAssistBench task`);
  const attempt = options.attempt ?? 0;
  const runId = options.runId ?? newRunId(task.id, attempt);
  const { sandbox, spec, install, fallbackFrom } = await startSandbox(options, runId);
  let recorder: TrajectoryRecorder | undefined;
  try {
    await installEnvironment(sandbox, task, install);
    recorder = await TrajectoryRecorder.start(
      options.outDir,
      {
        run_id: runId,
        task_id: task.id,
        attempt,
        policy: options.policySpec,
        model: recordedModel(options.policy.info).model,
        tools: options.toolbox.definitions,
        tool_versions: options.toolVersions ?? {},
        image: { name: spec.image },
        base_commit: spec.repo?.commit ?? sandbox.baseCommit,
        started_at: new Date().toISOString(),
        extra: {
          protocol: 'cab',
          user_policy: options.cab.userPolicySpec,
          judge_policy: options.cab.judgePolicySpec,
          user_rounds: options.cab.userRounds,
          repo: spec.repo,
          workdir: sandbox.workdir,
          install,
          agent_config: { ...DEFAULT_AGENT_CONFIG, ...options.config },
          model_setup: recordedModel(options.policy.info).setup,
        },
      },
      { secrets: options.secrets, ...options.recordHooks },
    );
    if (fallbackFrom) await recorder.recordEvent('dockerfile_fallback', { error: fallbackFrom });
    const messages: ChatMessage[] = [
      { role: 'system', content: maintainerPrompt(sandbox.workdir) },
      { role: 'user', content: issuePrompt(task) },
    ];
    const conversation = await converse(options, sandbox, recorder, messages);
    const patch = await sandbox.diff();
    await sandbox.destroy();
    const gradable =
      conversation.outcome.exitStatus !== 'cancelled' && conversation.outcome.exitStatus !== 'infra_error';
    const judged = gradable ? await judge(options, recorder, conversation, patch) : {};
    const verdict = judged.result?.verdict;
    const report = {
      protocol: 'cab',
      verdict: verdict ?? null,
      user_rounds: conversation.rounds,
      final_status: conversation.finalStatus ?? null,
      judge_policy: options.cab.judgePolicySpec,
      judge_reply: judged.result?.raw,
    };
    await writeFileAtomic(join(options.outDir, runId, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const judgeFailed = gradable && judged.result === undefined;
    const result: RunResult = await recorder.finish({
      exit_status: judgeFailed ? 'infra_error' : conversation.outcome.exitStatus,
      patch,
      reward: verdict ? { value: judged.result?.reward ?? null, resolved: verdict === 'CORRECT', report } : null,
      error: conversation.outcome.reason ?? judged.error,
    });
    return {
      runId,
      taskId: task.id,
      attempt,
      exitStatus: result.exit_status,
      resolved: verdict ? verdict === 'CORRECT' : null,
      reward: result.reward?.value ?? null,
      turns: result.totals?.turns ?? 0,
      tokens: (result.totals?.tokens_in ?? 0) + (result.totals?.tokens_out ?? 0),
      durationMs: performance.now() - started,
      path: recorder.path,
      reason: result.error,
    };
  } catch (error) {
    await sandbox.destroy().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    // A run whose record another process took over is left to it, untouched.
    if (error instanceof LeaseLostError) await recorder?.close();
    else
      await recorder
        ?.finish({ exit_status: 'infra_error', patch: '', reward: null, error: reason })
        .catch(() => undefined);
    throw error;
  }
}
