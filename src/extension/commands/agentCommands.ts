import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeResolved, runBatch } from '../../core/agent/batch';
import { OPENAI_DEFAULT_BASE_URL } from '../../core/agent/policies/openaiPolicy';
import type { Policy } from '../../core/agent/policies/policy';
import { createPolicy, parsePolicySpec, type PolicySpec } from '../../core/agent/policies/policySpec';
import { protocolModelSettings } from '../../core/agent/protocols/index';
import {
  FEEDBACK_SOURCES,
  type FeedbackSource,
  type PolicyFactory,
  type ProtocolSpec,
} from '../../core/agent/protocols/protocol';
import { reexecuteTrajectory as reexecuteInSandbox, type ReexecutionReport } from '../../core/agent/reexecute';
import type { AgentConfig } from '../../core/agent/config';
import type { ResumePlan } from '../../core/agent/resumePlan';
import type { RolloutSummary } from '../../core/agent/rollout';
import { createDefaultToolbox } from '../../core/agent/tools/toolbox';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { REWARD_FUNCTIONS } from '../../core/reward/index';
import { DockerSandbox } from '../../core/sandbox/dockerSandbox';
import type { Task } from '../../core/task/task';
import { formatProblem, readTrajectoryLog } from '../../core/trajectory/reader';
import { LanguageModelPolicy } from '../policies/languageModelPolicy';
import { withProgress } from '../progress';
import { applyDockerHost, type Settings } from '../settings';
import { requireTrust } from '../trust';
import { RunItem } from '../views/runsTree';
import { TaskItem, TaskSetItem } from '../views/tasksTree';
import type { CommandContext } from './context';
import { batchConfirmation } from './batchConfirmation';
import { fileArgumentOrPick } from './pick';
import { openTrajectory } from './runCommands';

export interface RunAgentRequest {
  tasks: Task[];
  attempts?: number;
  /** Open the first rollout in playback as soon as it starts recording (default true). */
  follow?: boolean;
  /** Skip the question asked before more than one rollout (its estimated cost). */
  confirmed?: boolean;
  /** Limits over the settings' budget (Run Again's: the ones the run it repeats was given). */
  limits?: Partial<AgentConfig>;
  /** A policy spec to run instead of the model settings' (Run Again's: the model the run it repeats used). */
  policySpec?: string;
  /**
   * Continue this recorded run of the one task (Resume Run): its policy, model settings, protocol and limits replace
   * the settings' (and `policySpec` and `limits`).
   */
  resume?: ResumePlan;
}

/** A context key: true while a batch runs, so that Stop Run is offered only then. */
const RUNNING_CONTEXT_KEY = 'rolloutStudio.running';

/**
 * Rollout Studio: Run Agent on Task(s)… — the configured model on the chosen tasks, each in a fresh Docker
 * sandbox, recorded into the output folder and graded. Cancel (or Stop Run) ends each rollout as `cancelled`
 * at once, stopping the model call or command it is in; its finished turns are kept.
 */
export async function runAgent(context: CommandContext, argument?: unknown): Promise<RolloutSummary[] | undefined> {
  requireTrust('Run Agent');
  if (context.activeRun)
    throw new Error(
      `Run Agent: a run is already going (${context.activeRun.taskIds.join(', ')}); stop it first with "Rollout Studio: Stop Run"`,
    );
  const request = await resolveRunRequest(context, argument);
  if (!request) return undefined;
  const settings = context.settings();
  if (!(await confirmBatch(request, settings))) return undefined;
  if (!REWARD_FUNCTIONS[settings.reward])
    throw new Error(
      `rolloutStudio.reward: '${settings.reward}' is not one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}`,
    );
  // A bad knob stops the command here, before anything starts.
  const modelSettings = request.resume?.settings ?? settings.modelSettings;
  const config = { ...configuredAgentConfig(settings), ...(request.resume?.config ?? request.limits) };
  const model = await resolveModel(context, settings, request.resume?.policySpec ?? request.policySpec);
  applyDockerHost(settings);
  const { policySpec, apiKey } = model;
  const protocol = request.resume?.protocol ?? protocolSettings(settings, policySpec, request.tasks);
  const protocolKeys = await keysOf(context, protocolSpecs(protocol));
  const evaluator = await dockerEvaluatorOptions({ runId: 'vscode' });
  const controller = new AbortController();
  const taskIds = request.tasks.map((task) => task.id);
  const total = request.tasks.length * (request.attempts ?? 1);
  const startedAt = new Date().toISOString();
  const outDir = request.resume?.outDir ?? settings.outputFolder;
  context.log.info(
    `run agent ${policySpec} on ${taskIds.join(', ')} (${total} rollout(s), ${settings.workers} at a time) into ${outDir}`,
  );

  let finished = 0;
  const what = request.resume
    ? `resuming run ${request.resume.run.run_id}`
    : `running ${request.policySpec ?? settings.model} on ${taskIds.length === 1 ? taskIds[0] : `${taskIds.length} tasks`}`;
  const batch = withProgress(what, { cancellable: true }, async (progress) => {
    progress.signal.addEventListener('abort', () => controller.abort());
    let following = request.follow === false;
    return runBatch({
      tasks: request.tasks,
      policySpec,
      attempts: request.attempts ?? 1,
      ...(request.resume ? { resume: request.resume.run } : {}),
      workers: settings.workers,
      outDir,
      protocol,
      createPolicy: protocolPolicyFactory(protocolKeys),
      evaluator,
      config,
      policy: model.policy,
      policyOptions: {
        settings: modelSettings,
        ...(apiKey ? { openai: { apiKey }, anthropic: { apiKey } } : {}),
      },
      secrets: [...(apiKey ? [apiKey] : []), ...protocolKeys.values()],
      signal: controller.signal,
      onStart: (task, attempt) => {
        context.log.info(`start ${task.id} (attempt ${attempt})`);
        progress.report(`${task.id}: starting a sandbox`);
        context.statusBar.showRunning(`${task.id} · ${finished}/${total} done`);
      },
      // The first rollout opens in playback as soon as its record exists, so the user watches it live.
      onRecordOpened: (_task, _attempt, logPath) => {
        if (following) return;
        following = true;
        void openTrajectory(context, logPath).catch((error: Error) =>
          context.log.warn(`live playback: ${error.message}`),
        );
      },
      onFinish: (summary) => {
        finished++;
        const reward = summary.reward === null ? 'not scored' : `reward ${summary.reward}`;
        context.log.info(
          `done ${summary.taskId} (attempt ${summary.attempt}): ${summary.exitStatus}, ${reward}, ${summary.turns} turns${summary.reason ? ` — ${summary.reason.split('\n')[0]}` : ''}`,
        );
        progress.report(`${finished}/${total} done · ${summary.taskId}: ${summary.exitStatus}, ${reward}`, 100 / total);
        context.statusBar.showRunning(`${finished}/${total} done`);
        context.runs.refresh();
      },
    });
  });
  context.activeRun = {
    controller,
    taskIds,
    rollouts: total,
    startedAt,
    done: Promise.resolve(batch).catch(() => undefined),
  };
  void vscode.commands.executeCommand('setContext', RUNNING_CONTEXT_KEY, true);
  try {
    const { summaries, totals } = await batch;
    const mean = totals.meanReward === null ? 'no scored rollouts' : `mean reward ${totals.meanReward.toFixed(2)}`;
    void vscode.window.showInformationMessage(`Rollout Studio: ${describeResolved(totals)}, ${mean}.`);
    return summaries;
  } finally {
    context.activeRun = undefined;
    void vscode.commands.executeCommand('setContext', RUNNING_CONTEXT_KEY, false);
    context.runs.refresh();
  }
}

/** Asks before more than one rollout, with what the batch may cost; true to go on. */
async function confirmBatch(request: RunAgentRequest, settings: Settings): Promise<boolean> {
  const attempts = request.attempts ?? 1;
  if (request.confirmed === true || request.tasks.length * attempts <= 1) return true;
  const question = batchConfirmation({
    tasks: request.tasks.length,
    attempts,
    workers: settings.workers,
    model: settings.model,
    budget: settings.budget,
  });
  return (await vscode.window.showWarningMessage(question, { modal: true }, 'Run')) === 'Run';
}

/**
 * The configured model: VS Code's Language Model API, recorded actions (replay), or a server (OpenAI-compatible,
 * Anthropic, Ollama) at the endpoint with its stored key. The endpoint left at OpenAI's default means each
 * backend's own default.
 */
async function resolveModel(
  context: CommandContext,
  settings: Settings,
  requestedSpec?: string,
): Promise<{ policySpec: string; policy?: Policy; apiKey?: string }> {
  if (requestedSpec?.startsWith('vscode-lm:')) {
    const policy = await LanguageModelPolicy.selectRecorded(requestedSpec.slice('vscode-lm:'.length));
    return { policySpec: requestedSpec, policy };
  }
  if (requestedSpec) return { policySpec: requestedSpec, apiKey: await storedKeyOf(context, requestedSpec) };
  if (settings.modelProvider === 'vscode-lm') {
    const policy = await LanguageModelPolicy.select(settings.model);
    return { policySpec: `vscode-lm:${policy.info.model}`, policy };
  }
  const policySpec = configuredPolicySpec(settings);
  const apiKey = await context.apiKeys.get(settings.modelEndpoint);
  if (!apiKey && asksOpenAIItself(settings) && !process.env.OPENAI_API_KEY) {
    throw new Error(`Run Agent: no API key for ${settings.modelEndpoint}; run "Rollout Studio: Set API Key" first`);
  }
  return { policySpec, apiKey };
}

/** Whether the model settings ask OpenAI's own API (either of its two), which answers no request without a key. */
export function asksOpenAIItself(settings: Settings): boolean {
  if (settings.modelProvider === 'vscode-lm' || settings.modelProvider === 'recorded') return false;
  const parsed = parsePolicySpec(configuredPolicySpec(settings));
  return usesOpenAIKey(parsed) && parsed.baseURL === undefined;
}

/**
 * The policy spec the model settings give, as a run records it (`openai:MODEL[@URL]`, `recorded:PATH`, …); for VS
 * Code's Language Model API, the model setting as given (the run records the model the API chose).
 */
export function configuredPolicySpec(settings: Settings): string {
  if (settings.modelProvider === 'vscode-lm') return `vscode-lm:${settings.model}`;
  if (settings.modelProvider === 'recorded') {
    if (!settings.modelRecordedPath)
      throw new Error(
        'rolloutStudio.model.recordedPath: recorded actions need a recorded trajectory; run "Rollout Studio: Select Policy…"',
      );
    return `recorded:${settings.modelRecordedPath}`;
  }
  const backends: Record<string, string> = {
    'openai-compatible': 'openai',
    'openai-responses': 'openai-responses',
    anthropic: 'anthropic',
    ollama: 'ollama',
  };
  const backend = backends[settings.modelProvider];
  if (!backend)
    throw new Error(
      `rolloutStudio.model.provider: '${settings.modelProvider}' is not one of ${[...Object.keys(backends), 'vscode-lm', 'recorded'].join(', ')}`,
    );
  const endpoint =
    settings.modelEndpoint && settings.modelEndpoint !== OPENAI_DEFAULT_BASE_URL ? settings.modelEndpoint : undefined;
  return `${backend}:${settings.model}${endpoint ? `@${endpoint}` : ''}`;
}

/**
 * The protocols' settings: CodeAssistBench tasks run with their simulated user and judge (the agent's model
 * unless set), SWE tasks with the feedback rounds set. The protocol itself is the task kind's.
 */
function protocolSettings(settings: Settings, agentSpec: string, tasks: Task[]): ProtocolSpec {
  const { cab, feedback } = settings;
  const hasCab = tasks.some((task) => task.kind === 'cab');
  if (feedback.rounds > 0 && !(FEEDBACK_SOURCES as readonly string[]).includes(feedback.source))
    throw new Error(`rolloutStudio.feedback.source: '${feedback.source}' is not one of ${FEEDBACK_SOURCES.join(', ')}`);
  return {
    reward: settings.reward,
    ...(hasCab
      ? {
          cab: {
            userPolicySpec: cab.userPolicy || agentSpec,
            judgePolicySpec: cab.judgePolicy || agentSpec,
            userRounds: cab.userRounds,
            dockerfileFallback: cab.dockerfileFallback,
          },
        }
      : {}),
    ...(feedback.rounds > 0 && tasks.some((task) => task.kind !== 'cab')
      ? {
          feedback: {
            rounds: feedback.rounds,
            source: feedback.source as FeedbackSource,
            ...(feedback.source === 'model' ? { policySpec: feedback.policy || agentSpec } : {}),
            revealTests: feedback.revealTests,
          },
        }
      : {}),
  };
}

function protocolSpecs(protocol: ProtocolSpec): string[] {
  return [protocol.cab?.userPolicySpec, protocol.cab?.judgePolicySpec, protocol.feedback?.policySpec].filter(
    (spec): spec is string => spec !== undefined,
  );
}

/**
 * The API key stored for a policy spec's endpoint (Set API Key stores one per endpoint setting; a spec names the
 * endpoint after `@`, none meaning the setting's default); undefined for a spec that needs none or names no server.
 */
export async function storedKeyOf(context: CommandContext, spec: string): Promise<string | undefined> {
  if (spec.startsWith('vscode-lm:')) return undefined;
  const parsed = parsePolicySpec(spec);
  if (parsed.backend === 'recorded' || parsed.backend === 'ollama') return undefined;
  return context.apiKeys.get(parsed.baseURL ?? OPENAI_DEFAULT_BASE_URL);
}

/** The stored API key of each OpenAI-compatible endpoint the protocol models use, by endpoint. */
async function keysOf(context: CommandContext, specs: string[]): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const spec of specs) {
    if (spec.startsWith('vscode-lm:')) continue;
    const parsed = parsePolicySpec(spec);
    if (!usesOpenAIKey(parsed)) continue;
    const key = await storedKeyOf(context, spec);
    if (key) keys.set(parsed.baseURL ?? OPENAI_DEFAULT_BASE_URL, key);
  }
  return keys;
}

/** A spec of OpenAI's APIs (chat completions or Responses), whose key goes as the OpenAI policies' key. */
function usesOpenAIKey(parsed: PolicySpec): parsed is Exclude<PolicySpec, { backend: 'recorded' }> {
  return parsed.backend === 'openai' || parsed.backend === 'openai-responses';
}

/** Protocol models by spec: VS Code's Language Model API for `vscode-lm:FAMILY`, else the core's, with the protocols' settings. */
function protocolPolicyFactory(keys: Map<string, string>): PolicyFactory {
  return async (spec) => {
    if (spec.startsWith('vscode-lm:')) return LanguageModelPolicy.select(spec.slice('vscode-lm:'.length));
    const parsed = parsePolicySpec(spec);
    const apiKey = usesOpenAIKey(parsed) ? keys.get(parsed.baseURL ?? OPENAI_DEFAULT_BASE_URL) : undefined;
    return createPolicy(parsed, { settings: protocolModelSettings(parsed), ...(apiKey ? { openai: { apiKey } } : {}) });
  };
}

/** The limits and compaction the settings give a run (`rolloutStudio.budget.*`, `rolloutStudio.agent.compaction`). */
export function configuredAgentConfig(settings: Settings): Partial<AgentConfig> {
  return {
    compaction: settings.compaction,
    maxTurns: settings.budget.maxTurns,
    maxTokens: settings.budget.maxTokens,
    maxCostUsd: settings.budget.maxCostUsd === 0 ? Number.POSITIVE_INFINITY : settings.budget.maxCostUsd,
    maxWallMs: settings.budget.timeLimitMinutes * 60_000,
  };
}

async function resolveRunRequest(context: CommandContext, argument: unknown): Promise<RunAgentRequest | undefined> {
  if (argument instanceof TaskItem) return { tasks: [argument.task] };
  if (argument instanceof TaskSetItem) return { tasks: argument.set.tasks };
  if (argument && typeof argument === 'object' && Array.isArray((argument as RunAgentRequest).tasks))
    return argument as RunAgentRequest;
  const loaded = context.tasks.allTasks();
  if (loaded.length === 0)
    throw new Error('Run Agent: no task set is open; run "Rollout Studio: Open Task Set…" first');
  const picked = await vscode.window.showQuickPick(
    loaded.map((task) => ({ label: task.id, description: task.repo.name ?? task.kind, task })),
    { title: 'Run the agent on which tasks?', canPickMany: true, matchOnDescription: true, ignoreFocusOut: true },
  );
  return picked?.length ? { tasks: picked.map((item) => item.task) } : undefined;
}

/**
 * Rollout Studio: Stop Run — every running rollout ends as `cancelled` at once (see runAgent). A batch of more
 * than one rollout is stopped only after the user confirms (`confirmed` true skips the question).
 */
export async function stopRun(context: CommandContext, confirmed?: unknown): Promise<boolean> {
  const run = context.activeRun;
  if (!run) {
    void vscode.window.showInformationMessage('Rollout Studio: no run is going.');
    return false;
  }
  if (run.rollouts > 1 && confirmed !== true) {
    const answer = await vscode.window.showWarningMessage(
      `Stop all ${run.rollouts} rollouts of the batch (${run.taskIds.slice(0, 3).join(', ')}${run.taskIds.length > 3 ? ', …' : ''})? Each ends as cancelled now, unscored; finished turns are kept.`,
      { modal: true },
      'Stop All',
    );
    if (answer !== 'Stop All') return false;
  }
  context.log.info(`stopping ${run.taskIds.join(', ')}: each rollout ends as cancelled now`);
  run.controller.abort();
  await run.done;
  return true;
}

/** Rollout Studio: Re-execute Trajectory in Fresh Container — re-executes a run's tool calls and reports what came out differently. */
export async function reexecuteTrajectory(
  context: CommandContext,
  argument?: unknown,
): Promise<ReexecutionReport | undefined> {
  requireTrust('Re-execute Trajectory');
  const picked =
    argument instanceof RunItem
      ? argument.logPath
      : await fileArgumentOrPick(argument, {
          canSelectFiles: true,
          title: 'Re-execute Trajectory in a Fresh Container',
          filters: { 'Trajectory logs': ['jsonl'] },
        });
  if (!picked) return undefined;
  const logPath = picked.endsWith('.jsonl') ? picked : path.join(picked, 'trajectory.jsonl');
  const { trajectory, problems } = await readTrajectoryLog(logPath);
  if (!trajectory)
    throw new Error(`cannot re-execute ${logPath}: ${problems.map(formatProblem).join('; ') || 'no run_started line'}`);
  applyDockerHost(context.settings());
  const report = await withProgress(
    `re-executing ${trajectory.run.task_id} in a fresh container`,
    { cancellable: true },
    async (progress) => {
      progress.report(`${trajectory.turns.length} turns`);
      return reexecuteInSandbox(trajectory, (spec) => DockerSandbox.create(spec), createDefaultToolbox(), {
        signal: progress.signal,
      });
    },
  );
  context.log.info(
    `re-execution of ${trajectory.run.run_id}: ${report.toolCalls} tool calls in ${report.turns} turns, ${report.differences.length} difference(s)`,
  );
  for (const difference of report.differences) {
    context.log.warn(
      `turn ${difference.turn} ${difference.kind}${difference.toolCallId ? ` (${difference.toolCallId})` : ''}: recorded ${JSON.stringify(difference.recorded.slice(0, 300))}, re-executed ${JSON.stringify(difference.reexecuted.slice(0, 300))}`,
    );
  }
  const message =
    report.differences.length === 0
      ? 'every observation and diff came out the same'
      : `${report.differences.length} turn(s) came out differently`;
  void vscode.window
    .showInformationMessage(`Rollout Studio: re-execution of ${trajectory.run.task_id}: ${message}.`, 'Show Log')
    .then((choice) => choice && context.log.show());
  return report;
}
