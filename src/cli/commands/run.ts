import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { batchTotals, describeResolved, runBatch, type BatchTotals } from '../../core/agent/batch';
import { DEFAULT_AGENT_CONFIG, describeLimits } from '../../core/agent/config';
import { createCliSymbolParser } from '../../core/agent/codemap/nativeTreeSitterParser';
import {
  DEFAULT_USER_ROUNDS,
  FEEDBACK_SOURCES,
  type CabSpec,
  type FeedbackSource,
  type FeedbackSpec,
  type ProtocolSpec,
} from '../../core/agent/protocols/protocol';
import type { RolloutSummary } from '../../core/agent/rollout';
import { planResume } from '../../core/agent/resumePlan';
import { writeFileAtomic } from '../../core/atomicFile';
import { isS3Url } from '../../core/queue/resultStore';
import { enqueueRollouts, RolloutQueue, rolloutJobs, type EnqueueRequest } from '../../core/queue/rolloutQueue';
import { assertBucketReachable, parseS3Url } from '../../core/queue/s3ResultStore';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { REWARD_FUNCTIONS } from '../../core/reward/index';
import { loadTasks } from '../../core/task/loadTasks';
import { formatLoadError, type Task } from '../../core/task/task';
import { ModelSettingsError, type ModelSettings } from '../../core/agent/policies/modelSettings';
import { compactionFromFlags, MODEL_FLAGS, MODEL_FLAGS_USAGE, modelSettingsFromFlags } from '../modelOptions';
import type { CliCommand } from './index';
import { countOption, EXIT_INTERRUPTED, parseCommandLine, usageProblem } from '../grammar';
import { SANDBOX_FLAGS, SANDBOX_USAGE, sandboxSettings } from './sandboxFlags';

const USAGE = `usage: rollout run --tasks FILE --policy SPEC --out DIR [options]
       rollout run --tasks FILE --out DIR --resume RUN_ID

Runs the agent on each task in a Docker sandbox, records every turn in DIR/<run-id>/trajectory.jsonl,
scores it in the task's protocol (SWE tasks: the task's tests grade the final patch; CodeAssistBench tasks:
a conversation with a simulated user, then a judge's verdict), and prints a summary. Ctrl-C ends each running
rollout as cancelled, its finished turns kept, and exits 130.

policy SPEC: openai:MODEL[@BASE_URL] (OPENAI_API_KEY; any OpenAI-compatible server),
             openai-responses:MODEL[@BASE_URL] (OpenAI's Responses API: the Codex and pro models),
             anthropic:MODEL (ANTHROPIC_API_KEY), ollama:MODEL[@BASE_URL] (Ollama's own API, for --num-ctx),
             recorded:TRAJECTORY.jsonl or recorded:DIR (re-issue the recorded actions of the
             run, or of each task's recording found in DIR; replay: is its former name)
options:
  --ids A,B        only these task ids
  --attempts K     rollouts per task (default 1)
  --workers N      rollouts at a time (default 1)
  --reward NAME    ${Object.keys(REWARD_FUNCTIONS).join(' | ')} (default binary; SWE tasks)
  --max-turns N    model calls per rollout (default ${DEFAULT_AGENT_CONFIG.maxTurns})
                   each rollout stops at ${describeLimits(DEFAULT_AGENT_CONFIG)}, whichever comes first
                   (VS Code's rolloutStudio.budget.* settings default to the same limits)
  --repos DIR      local clones named owner__name instead of cloning into the cache
  --specs FILE     per-repo environment specs (JSON)
${SANDBOX_USAGE}
  --resume RUN_ID  continue an unfinished run (killed or crashed) or a cancelled one from its last finished
                   step, with the policy and protocol settings it recorded unless options here name others

CodeAssistBench tasks (the user and judge answer at temperature 0):
  --user-policy SPEC   the simulated user's model (a policy SPEC as above)
  --judge-policy SPEC  the judge's model; its verdict is the reward (1 / 0.5 / 0)
  --user-rounds N      most replies of the simulated user (default ${DEFAULT_USER_ROUNDS}, as CodeAssistBench)
  --dockerfile-fallback  run a task whose Dockerfile does not build offline in its language profile image

Test-feedback rounds for SWE tasks (MINT):
  --feedback-rounds K  after a submission that does not resolve the task, give feedback and let the agent
                       continue, up to K more rounds; every round's reward is recorded
  --feedback-source S  tests (the failing tests and the end of the test log; default) or model (advice
                       from --feedback-policy SPEC, which reads the same)
  --feedback-reveal-tests  name the hidden FAIL_TO_PASS tests in the feedback (withheld by default)
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
    `${describeResolved(totals)}, mean reward ${mean}, mean turns ${totals.meanTurns.toFixed(1)}, tokens ${totals.tokens}, wall time ${(totals.wallMs / 1000).toFixed(1)} s`,
    ...(totals.successByRound ? [`success by round: ${formatSuccessByRound(totals.successByRound)}`] : []),
  ].join('\n');
}

/** `1: 20% · 2: 35% (+15) · 3: 40% (+5)`: the gain from each extra round of feedback, as MINT reports it. */
export function formatSuccessByRound(shares: number[]): string {
  const percent = (share: number) => Math.round(share * 1000) / 10;
  return shares
    .map((share, index) => {
      const gain = index === 0 ? '' : ` (+${(percent(share) - percent(shares[index - 1])).toFixed(1)})`;
      return `${index + 1}: ${percent(share).toFixed(1)}%${gain}`;
    })
    .join(' · ');
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
        required: ['tasks', 'out'],
        options: {
          tasks: { type: 'string' },
          policy: { type: 'string' },
          out: { type: 'string' },
          ids: { type: 'string' },
          attempts: { type: 'string' },
          workers: { type: 'string' },
          // No default here: a resumed run keeps the reward it recorded unless one is given.
          reward: { type: 'string' },
          'max-turns': { type: 'string' },
          repos: { type: 'string' },
          specs: { type: 'string' },
          resume: { type: 'string' },
          queue: { type: 'string' },
          'user-policy': { type: 'string' },
          'judge-policy': { type: 'string' },
          'user-rounds': { type: 'string' },
          'dockerfile-fallback': { type: 'boolean' },
          'feedback-rounds': { type: 'string' },
          'feedback-source': { type: 'string' },
          'feedback-policy': { type: 'string' },
          'feedback-reveal-tests': { type: 'boolean' },
          ...MODEL_FLAGS,
          ...SANDBOX_FLAGS,
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (!values.policy && !values.resume) return usageProblem('run', USAGE, '--policy (or --resume) is required');
    const counts = {
      attempts: countOption('attempts', values.attempts, 1),
      workers: countOption('workers', values.workers, 1),
      maxTurns: countOption('max-turns', values['max-turns'], DEFAULT_AGENT_CONFIG.maxTurns),
    };
    const loaded = await loadTasks(values.tasks);
    if (loaded.errors.length) {
      console.error(
        `rollout run: ${loaded.errors.length} task row(s) did not load:\n${loaded.errors.map((error) => `  ${formatLoadError(error)}`).join('\n')}`,
      );
      return 2;
    }
    if (values.reward !== undefined && !REWARD_FUNCTIONS[values.reward]) {
      console.error(
        `rollout run: --reward must be one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}, got '${values.reward}'`,
      );
      return 2;
    }
    const hasCab = selectTasks(loaded.tasks, values.ids).some((task) => task.kind === 'cab');
    if (
      (hasCab || values['user-policy'] || values['judge-policy']) &&
      !(values['user-policy'] && values['judge-policy']) &&
      !values.resume
    ) {
      console.error(
        `rollout run: CodeAssistBench tasks need both --user-policy and --judge-policy${hasCab ? ` (${values.tasks} holds CodeAssistBench tasks)` : ''}`,
      );
      return 2;
    }
    const given = protocolOptions(values);
    const protocol: ProtocolSpec = { reward: 'binary', ...given };
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
      maxTurns: counts.maxTurns,
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
        attempts: counts.attempts,
        policySpec: values.policy,
        outDir: values.out,
        protocol,
        maxTurns: config.maxTurns,
        ...(compaction ? { compaction } : {}),
        ...(Object.keys(settings).length ? { modelSettings: settings } : {}),
        reposDir: values.repos,
        specsFile: values.specs,
        instanceImages: sandbox.instanceImages,
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
      console.error(
        '\nstopping: each running rollout ends as cancelled now (a command it runs is stopped); its finished turns are kept',
      );
      abort.abort();
    });
    const started = performance.now();
    const onFinish = (summary: RolloutSummary) =>
      console.log(
        `done   ${summary.taskId} (attempt ${summary.attempt}): ${summary.exitStatus}${summary.reward === null ? '' : `, reward ${summary.reward}`}${summary.reason && summary.exitStatus !== 'submitted' ? ` — ${summary.reason.split('\n')[0]}` : ''}`,
      );
    const common = {
      outDir: values.out,
      evaluator,
      signal: abort.signal,
      symbolParser: createCliSymbolParser(),
      onStart: (task: Task, attempt: number) => console.log(`start  ${task.id} (attempt ${attempt})`),
      onFinish,
    };
    let summaries: RolloutSummary[];
    if (values.resume) {
      const plan = await planResume(join(values.out, values.resume, 'trajectory.jsonl'), {
        policySpec: values.policy,
        settings,
        protocol: given,
        // The limits and compaction the run recorded hold, but for those given now.
        config: {
          ...(values['max-turns'] ? { maxTurns: config.maxTurns } : {}),
          ...(compaction ? { compaction } : {}),
        },
      }).catch((error: Error) => {
        throw new Error(`--resume: ${error.message}`);
      });
      const task = loaded.tasks.find((candidate) => candidate.id === plan.run.task_id);
      if (!task)
        throw new Error(
          `--resume: run ${values.resume} is for task ${plan.run.task_id}, which is not in the task file`,
        );
      ({ summaries } = await runBatch({
        ...common,
        tasks: [task],
        resume: plan.run,
        policySpec: plan.policySpec,
        attempts: 1,
        workers: 1,
        protocol: plan.protocol,
        config: plan.config,
        policyOptions: { settings: plan.settings },
      }));
    } else {
      await mkdir(values.out, { recursive: true });
      ({ summaries } = await runBatch({
        ...common,
        tasks: selectTasks(loaded.tasks, values.ids),
        policySpec: values.policy as string,
        attempts: counts.attempts,
        workers: counts.workers,
        protocol,
        config,
        policyOptions: { settings },
      }));
    }
    const totals = batchTotals(summaries, performance.now() - started);
    await writeFileAtomic(
      join(values.out, 'summary.json'),
      `${JSON.stringify({ totals, rollouts: summaries }, null, 2)}\n`,
    );
    console.log(`\n${formatSummaries(summaries, totals)}\ntrajectories in ${values.out}`);
    if (abort.signal.aborted) return EXIT_INTERRUPTED;
    return totals.unscored?.infra_error ? 1 : 0;
  },
};

type ProtocolOptions = {
  reward?: string;
  'user-policy'?: string;
  'judge-policy'?: string;
  'user-rounds'?: string;
  'dockerfile-fallback'?: boolean;
  'feedback-rounds'?: string;
  'feedback-source'?: string;
  'feedback-policy'?: string;
  'feedback-reveal-tests'?: boolean;
};

/** The protocol settings the command line gives; what it leaves out a resume takes from the record. */
function protocolOptions(values: ProtocolOptions): Partial<ProtocolSpec> {
  return {
    ...(values.reward ? { reward: values.reward } : {}),
    ...(values['user-policy'] && values['judge-policy'] ? { cab: cabSpec(values) } : {}),
    ...(values['feedback-rounds'] ? { feedback: feedbackSpec(values) } : {}),
  };
}

function cabSpec(values: ProtocolOptions): CabSpec {
  return {
    userPolicySpec: values['user-policy'] as string,
    judgePolicySpec: values['judge-policy'] as string,
    userRounds: countOption('user-rounds', values['user-rounds'], DEFAULT_USER_ROUNDS),
    dockerfileFallback: values['dockerfile-fallback'] === true,
  };
}

function feedbackSpec(values: ProtocolOptions): FeedbackSpec {
  const source = values['feedback-source'] ?? 'tests';
  if (!(FEEDBACK_SOURCES as readonly string[]).includes(source))
    throw new Error(`--feedback-source must be one of ${FEEDBACK_SOURCES.join(', ')}, got '${source}'`);
  if (source === 'model' && !values['feedback-policy'])
    throw new Error('--feedback-source model needs the feedback model: --feedback-policy SPEC');
  return {
    rounds: countOption('feedback-rounds', values['feedback-rounds'], 1),
    source: source as FeedbackSource,
    ...(values['feedback-policy'] ? { policySpec: values['feedback-policy'] } : {}),
    revealTests: values['feedback-reveal-tests'] === true,
  };
}

async function enqueue(url: string, request: EnqueueRequest): Promise<number> {
  if (isS3Url(request.outDir)) await assertBucketReachable(parseS3Url(request.outDir));
  else await mkdir(request.outDir, { recursive: true });
  const rollouts = await RolloutQueue.open(url);
  try {
    const jobs = rolloutJobs(request);
    const retried = await enqueueRollouts(rollouts, jobs);
    for (const job of jobs) console.log(`queued ${job.runId}`);
    for (const job of retried) {
      const why = job.ended === 'failed' ? `it had failed: ${job.failedReason}` : 'it was cancelled';
      console.log(`tried again ${job.runId} (${why})`);
    }
    const again = retried.length ? ` (${retried.length} that had failed or were cancelled tried again)` : '';
    const out = isS3Url(request.outDir) ? request.outDir : resolve(request.outDir);
    console.log(
      `\n${jobs.length} rollout(s) queued on ${url}${again}; trajectories go to ${out}; watch with \`rollout status --queue ${url}\``,
    );
    return 0;
  } catch (error) {
    throw rollouts.explain(error);
  } finally {
    await rollouts.close();
  }
}
