import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { batchTotals, runBatch, type BatchTotals } from '../../core/agent/batch';
import { createCabProtocol, DEFAULT_USER_ROUNDS, type CabProtocolSpec } from '../../core/agent/cab/cabRollout';
import { DEFAULT_AGENT_CONFIG } from '../../core/agent/config';
import { runRollout, type RolloutSummary } from '../../core/agent/rollout';
import { createCliSymbolParser } from '../../core/agent/codemap/nativeTreeSitterParser';
import { createPolicy } from '../../core/agent/policies/policySpec';
import { createDefaultToolbox } from '../../core/agent/tools/toolbox';
import { writeFileAtomic } from '../../core/atomicFile';
import { isS3Url } from '../../core/queue/resultStore';
import { enqueueRollouts, RolloutQueue, rolloutJobs, type EnqueueRequest } from '../../core/queue/rolloutQueue';
import { assertBucketReachable, parseS3Url } from '../../core/queue/s3ResultStore';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { REWARD_FUNCTIONS } from '../../core/reward/index';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError, type Task } from '../../core/task/task';
import { readTrajectoryLog } from '../../core/trajectory/reader';
import { ModelSettingsError, type ModelSettings } from '../../core/agent/policies/modelSettings';
import { compactionFromFlags, MODEL_FLAGS, MODEL_FLAGS_USAGE, modelSettingsFromFlags } from '../modelOptions';
import { positiveInteger } from './eval';
import type { CliCommand } from './index';
import { parseCommandLine } from '../grammar';
import { SANDBOX_FLAGS, SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout run --tasks FILE --policy SPEC --out DIR [options]
       rollout run --tasks FILE --out DIR --resume RUN_ID

Runs the agent on each task in a Docker sandbox, records every turn in DIR/<run-id>/trajectory.jsonl,
grades the final patch with the task's tests, and prints a summary.

policy SPEC: openai:MODEL[@BASE_URL] (OPENAI_API_KEY; any OpenAI-compatible server), anthropic:MODEL
             (ANTHROPIC_API_KEY), ollama:MODEL[@BASE_URL] (Ollama's own API, for --num-ctx),
             replay:TRAJECTORY.jsonl, or replay:DIR (the recording of each task found in DIR)
options:
  --ids A,B        only these task ids
  --attempts K     rollouts per task (default 1)
  --workers N      rollouts at a time (default 1)
  --reward NAME    ${Object.keys(REWARD_FUNCTIONS).join(' | ')} (default binary)
  --max-turns N    model calls per rollout (default ${DEFAULT_AGENT_CONFIG.maxTurns})
  --repos DIR      local clones named owner__name instead of cloning into the cache
  --specs FILE     per-repo environment specs (JSON)
${SANDBOX_USAGE}
  --resume RUN_ID  continue an unfinished run (killed or crashed) from its last finished turn, with the
                   policy it recorded unless --policy names another
  --user-policy SPEC   CodeAssistBench tasks: the simulated user's model (a policy SPEC as above)
  --judge-policy SPEC  CodeAssistBench tasks: the judge's model; its verdict is the reward (1 / 0.5 / 0)
  --user-rounds N      most replies of the simulated user (default ${DEFAULT_USER_ROUNDS})
  --dockerfile-fallback  run a task whose Dockerfile does not build offline in its language profile image
  --queue URL      enqueue one job per (task, attempt) on redis://HOST:PORT for \`rollout worker\` processes
                   instead of running here; DIR must be a folder every worker can read and write, or an
                   S3-compatible bucket, s3://BUCKET[/PREFIX] (AWS_* credentials; \`rollout pull\` fetches it)
${MODEL_FLAGS_USAGE}`;

export function formatSummaries(summaries: RolloutSummary[], totals: BatchTotals): string {
  const rows = summaries.map((summary) =>
    [
      summary.taskId.padEnd(32),
      String(summary.attempt).padStart(3),
      summary.exitStatus.padEnd(12),
      (summary.resolved === null ? '—' : summary.resolved ? 'yes' : 'no').padEnd(8),
      (summary.reward === null ? '—' : summary.reward.toFixed(2)).padStart(6),
      String(summary.turns).padStart(5),
      String(summary.tokens).padStart(8),
      `${(summary.durationMs / 1000).toFixed(1)} s`.padStart(8),
    ].join('  '),
  );
  const header = [
    'task'.padEnd(32),
    'try',
    'exit'.padEnd(12),
    'resolved',
    'reward',
    'turns',
    '  tokens',
    '    time',
  ].join('  ');
  const mean = totals.meanReward === null ? '—' : totals.meanReward.toFixed(3);
  return [
    header,
    ...rows,
    '',
    `resolved ${totals.resolved}/${totals.rollouts - totals.infraErrors}${totals.infraErrors ? ` (${totals.infraErrors} infrastructure error(s), unscored)` : ''}, mean reward ${mean}, mean turns ${totals.meanTurns.toFixed(1)}, tokens ${totals.tokens}, wall time ${(totals.wallMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

function selectTasks(tasks: Task[], ids: string | undefined): Task[] {
  if (!ids) return tasks;
  const wanted = ids
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const unknown = wanted.filter((id) => !tasks.some((task) => task.id === id));
  if (unknown.length) throw new Error(`--ids: no such task: ${unknown.join(', ')}`);
  return tasks.filter((task) => wanted.includes(task.id));
}

export const runCommand: CliCommand = {
  summary: 'run the agent on tasks in Docker sandboxes, record trajectories and grade them',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'run',
        usage: USAGE,
        options: {
          tasks: { type: 'string' },
          policy: { type: 'string' },
          out: { type: 'string' },
          ids: { type: 'string' },
          attempts: { type: 'string' },
          workers: { type: 'string' },
          reward: { type: 'string', default: 'binary' },
          'max-turns': { type: 'string' },
          repos: { type: 'string' },
          specs: { type: 'string' },
          resume: { type: 'string' },
          queue: { type: 'string' },
          'user-policy': { type: 'string' },
          'judge-policy': { type: 'string' },
          'user-rounds': { type: 'string' },
          'dockerfile-fallback': { type: 'boolean', default: false },
          ...MODEL_FLAGS,
          ...SANDBOX_FLAGS,
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (!values.tasks || !values.out || (!values.policy && !values.resume)) {
      console.error(`rollout run: --tasks, --out and --policy (or --resume) are required\n\n${USAGE}`);
      return 2;
    }
    const loaded = await loadTasks(values.tasks);
    if (loaded.errors.length) {
      console.error(
        `rollout run: ${loaded.errors.length} task row(s) did not load:\n${loaded.errors.map((error) => `  ${formatLoadError(error)}`).join('\n')}`,
      );
      return 2;
    }
    const makeReward = REWARD_FUNCTIONS[values.reward];
    if (!makeReward) {
      console.error(
        `rollout run: --reward must be one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}, got '${values.reward}'`,
      );
      return 2;
    }
    const rewardFn = makeReward();
    const hasCab = selectTasks(loaded.tasks, values.ids).some((task) => task.kind === 'cab');
    if (
      (hasCab || values['user-policy'] || values['judge-policy']) &&
      !(values['user-policy'] && values['judge-policy'])
    ) {
      console.error(
        `rollout run: CodeAssistBench tasks need both --user-policy and --judge-policy${hasCab ? ` (${values.tasks} holds CodeAssistBench tasks)` : ''}`,
      );
      return 2;
    }
    const cab = cabProtocolSpec(values);
    const sandbox = sandboxSettings(values);
    let settings: ModelSettings;
    let compaction;
    try {
      settings = modelSettingsFromFlags(values);
      compaction = compactionFromFlags(values);
    } catch (error) {
      if (!(error instanceof ModelSettingsError)) throw error;
      console.error(`rollout run: ${error.message}`);
      return 2;
    }
    const config = {
      maxTurns: positiveInteger('max-turns', values['max-turns'], DEFAULT_AGENT_CONFIG.maxTurns),
      ...(compaction ? { compaction } : {}),
    };
    if (isS3Url(values.out) && !values.queue) {
      console.error(
        `rollout run: --out ${values.out} is a bucket: runs go there through --queue workers; to run here, give a folder`,
      );
      return 2;
    }
    if (values.queue) {
      if (values.resume || !values.policy) {
        console.error(
          'rollout run: --queue takes --policy, not --resume (a queued job resumes its own run when retried)',
        );
        return 2;
      }
      return enqueue(values.queue, {
        taskFile: values.tasks,
        taskIds: selectTasks(loaded.tasks, values.ids).map((task) => task.id),
        attempts: positiveInteger('attempts', values.attempts, 1),
        policySpec: values.policy,
        outDir: values.out,
        reward: values.reward,
        maxTurns: config.maxTurns,
        ...(compaction ? { compaction } : {}),
        ...(Object.keys(settings).length ? { modelSettings: settings } : {}),
        reposDir: values.repos,
        specsFile: values.specs,
        instanceImages: sandbox.instanceImages,
        cab,
      });
    }
    const evaluator = await dockerEvaluatorOptions({
      reposDir: values.repos,
      specsFile: values.specs,
      ...sandbox,
      runId: 'run',
    });
    const abort = new AbortController();
    process.once('SIGINT', () => {
      console.error('\nstopping: each running rollout ends as cancelled after its current step');
      abort.abort();
    });
    const started = performance.now();
    let summaries: RolloutSummary[];
    if (values.resume) {
      summaries = [
        await resumeRun(values.resume, values.out, loaded.tasks, values.policy, settings, {
          rewardFn,
          config,
          evaluator,
          signal: abort.signal,
        }),
      ];
    } else {
      const tasks = selectTasks(loaded.tasks, values.ids);
      await mkdir(values.out, { recursive: true });
      ({ summaries } = await runBatch({
        tasks,
        policySpec: values.policy as string,
        attempts: positiveInteger('attempts', values.attempts, 1),
        workers: positiveInteger('workers', values.workers, 1),
        outDir: values.out,
        rewardFn,
        evaluator,
        config,
        policyOptions: { settings },
        signal: abort.signal,
        symbolParser: createCliSymbolParser(),
        cab: cab && (await createCabProtocol(cab)),
        onStart: (task, attempt) => console.log(`start  ${task.id} (attempt ${attempt})`),
        onFinish: (summary) =>
          console.log(
            `done   ${summary.taskId} (attempt ${summary.attempt}): ${summary.exitStatus}${summary.reward === null ? '' : `, reward ${summary.reward}`}${summary.reason && summary.exitStatus !== 'submitted' ? ` — ${summary.reason.split('\n')[0]}` : ''}`,
          ),
      }));
    }
    const totals = batchTotals(summaries, performance.now() - started);
    await writeFileAtomic(
      join(values.out, 'summary.json'),
      `${JSON.stringify({ totals, rollouts: summaries }, null, 2)}\n`,
    );
    console.log(`\n${formatSummaries(summaries, totals)}\ntrajectories in ${values.out}`);
    return totals.infraErrors > 0 ? 1 : 0;
  },
};

function cabProtocolSpec(values: {
  'user-policy'?: string;
  'judge-policy'?: string;
  'user-rounds'?: string;
  'dockerfile-fallback'?: boolean;
}): CabProtocolSpec | undefined {
  const userSpec = values['user-policy'];
  const judgeSpec = values['judge-policy'];
  if (!userSpec || !judgeSpec) return undefined;
  return {
    userPolicySpec: userSpec,
    judgePolicySpec: judgeSpec,
    userRounds: positiveInteger('user-rounds', values['user-rounds'], DEFAULT_USER_ROUNDS),
    dockerfileFallback: values['dockerfile-fallback'],
  };
}

async function enqueue(url: string, request: EnqueueRequest): Promise<number> {
  if (isS3Url(request.outDir)) await assertBucketReachable(parseS3Url(request.outDir));
  else await mkdir(request.outDir, { recursive: true });
  const rollouts = await RolloutQueue.open(url);
  try {
    const jobs = rolloutJobs(request);
    await enqueueRollouts(rollouts, jobs);
    for (const job of jobs) console.log(`queued ${job.runId}`);
    console.log(
      `\n${jobs.length} rollout(s) queued on ${url}; trajectories go to ${isS3Url(request.outDir) ? request.outDir : resolve(request.outDir)}; watch with \`rollout status --queue ${url}\``,
    );
    return 0;
  } finally {
    await rollouts.close();
  }
}

/**
 * Continues a run with the policy and model settings it recorded; a policy or settings given now take
 * precedence, setting by setting.
 */
async function resumeRun(
  runId: string,
  outDir: string,
  tasks: Task[],
  policySpec: string | undefined,
  settings: ModelSettings,
  common: Pick<Parameters<typeof runRollout>[0], 'rewardFn' | 'config' | 'evaluator' | 'signal'>,
): Promise<RolloutSummary> {
  const path = join(outDir, runId, 'trajectory.jsonl');
  const { trajectory } = await readTrajectoryLog(path);
  if (!trajectory) throw new Error(`--resume: ${path} holds no run`);
  const task = tasks.find((candidate) => candidate.id === trajectory.run.task_id);
  if (!task)
    throw new Error(`--resume: run ${runId} is for task ${trajectory.run.task_id}, which is not in the task file`);
  const recorded = (trajectory.run.extra?.model_setup as { settings?: ModelSettings } | undefined)?.settings;
  return runRollout({
    ...common,
    task,
    attempt: trajectory.run.attempt,
    runId,
    resume: true,
    policy: await createPolicy(policySpec ?? trajectory.run.policy, { settings: { ...recorded, ...settings } }),
    policySpec: policySpec ?? trajectory.run.policy,
    toolbox: createDefaultToolbox({ symbolParser: createCliSymbolParser() }),
    outDir,
    createSandbox: common.evaluator.createSandbox,
  });
}
