import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBatch, type BatchTotals } from '../../core/agent/batch';
import { exportDataset } from '../../core/export/exporter';
import { playbackLink } from '../../core/trajectory/playbackLink';
import { packageRoot } from '../../core/paths';
import { binaryReward } from '../../core/reward/binaryReward';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { validateTasks } from '../../core/reward/validateTasks';
import type { EvaluatorOptions } from '../../core/reward/evaluator';
import { runDoctor } from '../../core/sandbox/doctor';
import { chooseRunner, makeTinyModel, startServer, train, trainVerifier } from '../../core/train/jobs';
import { formatRunnerEvent, type RunnerEvent } from '../../core/train/runner';
import { collectCandidates, selectBest, summariseSelection } from '../../core/train/select';
import { Verifier } from '../../core/train/verifier';
import { loadTasksStrict } from '../../core/task/loadTasks';
import type { Task } from '../../core/task/task';
import { formatChecks } from './doctor';
import type { CliCommand } from './index';
import { formatSummaries } from './run';

const USAGE = `usage: rollout demo [--out DIR] [--workers N]

The main job on the bundled example tasks (tasks/examples), with nothing configured:
  1. check the set-up (doctor)
  2. validate every task: the gold patch resolves it, the empty patch does not
  3. run the agent on every task, twice: with the model in ROLLOUT_MODEL (a policy spec such as
     openai:gpt-4o-mini or openai:qwen@http://localhost:8000/v1) or OPENAI_API_KEY (OPENAI_MODEL,
     OPENAI_BASE_URL) when set; otherwise the bundled reference trajectories, replayed through the same loop
  4. export an SFT and a DPO dataset with their dataset cards
  5. fine-tune: build the trainer's environment (once), LoRA-train a tiny local model for a few steps on
     CPU (or --base-model on the GPU), serve it, run it on one task through the same agent loop, train the
     outcome verifier on the runs and pick the best of N per task with it (--no-train skips this stage)
and print one summary with the time of each stage and the paths of everything written.
--open opens the playback of the first run in VS Code (the Rollout Studio extension installed).`;

interface StageResult {
  stage: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

async function stage(results: StageResult[], name: string, body: () => Promise<string>): Promise<boolean> {
  console.log(`\n== ${name}`);
  const started = Date.now();
  try {
    const detail = await body();
    results.push({ stage: name, ok: true, seconds: (Date.now() - started) / 1000, detail });
    return true;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    console.error(`   failed: ${detail}`);
    results.push({ stage: name, ok: false, seconds: (Date.now() - started) / 1000, detail });
    return false;
  }
}

/** The model the user configured, as a policy spec, or the bundled recordings when there is none. */
export function demoPolicy(env: NodeJS.ProcessEnv, examplesDir: string): { spec: string; configured: boolean } {
  if (env.ROLLOUT_MODEL) return { spec: env.ROLLOUT_MODEL, configured: true };
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    const model = env.OPENAI_MODEL ?? 'gpt-4o-mini';
    return { spec: `openai:${model}${env.OPENAI_BASE_URL ? `@${env.OPENAI_BASE_URL}` : ''}`, configured: true };
  }
  return { spec: `replay:${examplesDir}`, configured: false };
}

/** Hands the run's playback link to `code --open-url` when VS Code's CLI is on PATH. */
function openInVsCode(trajectory: string): void {
  const link = playbackLink(trajectory);
  const opened = spawnSync('code', ['--open-url', link], { stdio: 'ignore' });
  if (opened.status === 0) console.log(`\nopened the playback of ${trajectory} in VS Code`);
  else
    console.log(
      `\nVS Code's \`code\` command was not found; open the playback with:\n  code --open-url '${link}'\nor, in VS Code, Rollout Studio: Open Trajectory… ${trajectory}`,
    );
}

interface FineTuneInput {
  out: string;
  runsDir: string;
  task: Task;
  evaluator: EvaluatorOptions;
  baseModel?: string;
  written: string[];
}

/** Closes the loop: train on the exported runs, serve the result to the agent, and rank attempts by the verifier. */
async function fineTuneStage({ out, runsDir, task, evaluator, baseModel, written }: FineTuneInput): Promise<string> {
  const trainerDir = join(out, 'trainer');
  rmSync(trainerDir, { recursive: true, force: true });
  const hooks = {
    onEvent: (event: RunnerEvent) => event.event === 'progress' && console.log(`   ${formatRunnerEvent(event)}`),
  };
  const runner = await chooseRunner({ onLog: (line) => console.log(`   ${line}`) });
  console.log(`   trainer: ${runner.description}`);
  const base = baseModel ?? ((await makeTinyModel(runner, join(trainerDir, 'tiny-base'))).outputs.model as string);
  const adapter = join(trainerDir, 'sft');
  const device = baseModel ? 'auto' : 'cpu';
  await train(
    runner,
    {
      method: 'sft',
      data: join(out, 'datasets', 'sft', 'train.jsonl'),
      baseModel: base,
      out: adapter,
      device,
      maxSteps: 8,
    },
    hooks,
  );
  written.push(adapter);

  const server = await startServer(runner, { model: adapter, device });
  const policy = (server.readyEvent as { policy?: string }).policy;
  let tuned: BatchTotals;
  let outcome = '';
  try {
    if (!policy) throw new Error('the trainer server did not say which policy to use');
    console.log(`   serving the fine-tuned model as ${policy}`);
    const tunedRuns = join(out, 'runs-finetuned');
    rmSync(tunedRuns, { recursive: true, force: true });
    ({ totals: tuned } = await runBatch({
      tasks: [task],
      policySpec: policy,
      attempts: 1,
      workers: 1,
      outDir: tunedRuns,
      rewardFn: binaryReward,
      evaluator,
      config: { maxTurns: 3 },
      onFinish: (summary) => (outcome = `${summary.exitStatus}, reward ${summary.reward ?? '—'}`),
    }));
    console.log(`   the fine-tuned model on ${task.id}: ${outcome}`);
    written.push(tunedRuns);
  } finally {
    await server.stop();
  }

  const verifierDir = join(trainerDir, 'verifier');
  await trainVerifier(runner, { runs: [runsDir], out: verifierDir }, hooks);
  const verifier = await Verifier.load(verifierDir);
  try {
    const selection = summariseSelection(
      await selectBest((await collectCandidates([runsDir])).candidates, verifier, verifierDir),
    );
    written.push(verifierDir);
    const format = (value: number | null) => (value === null ? '—' : value.toFixed(2));
    return `adapter trained and served (its rollout on ${task.id}: ${outcome}, ${tuned.resolved}/${tuned.rollouts} resolved); verifier best-of-N mean reward ${format(selection.chosenMeanReward)} against ${format(selection.averageMeanReward)} for a random attempt`;
  } finally {
    await verifier.close();
  }
}

export const demoCommand: CliCommand = {
  summary: 'the main job: validate, run, grade and export on the bundled example tasks',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: 'string', default: 'rollout-demo' },
        workers: { type: 'string', default: '2' },
        'base-model': { type: 'string' },
        'no-train': { type: 'boolean' },
        open: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const out = resolve(values.out);
    const workers = Number(values.workers);
    const examples = join(packageRoot(), 'tasks', 'examples');
    const runsDir = join(out, 'runs');
    const written: string[] = [];
    const results: StageResult[] = [];
    let tasks: Task[] = [];
    let totals: BatchTotals | undefined;
    let firstRun: string | undefined;
    const evaluator = await dockerEvaluatorOptions({ runId: 'demo' });

    const ready = await stage(results, 'doctor', async () => {
      const checks = await runDoctor();
      console.log(formatChecks(checks));
      const failed = checks.filter((check) => !check.ok);
      if (failed.length)
        throw new Error(
          `${failed.map((check) => check.name).join(', ')} not ready: run \`bash sandbox/setup.sh\` (see the fixes above)`,
        );
      return `${checks.length} checks passed`;
    });
    await stage(results, 'load tasks', async () => {
      tasks = await loadTasksStrict(examples);
      console.log(`   ${tasks.map((task) => task.id).join(', ')}`);
      return `${tasks.length} bundled tasks from ${examples}`;
    });
    if (ready && tasks.length) {
      await stage(results, 'validate tasks', async () => {
        const validations = await validateTasks(tasks, {
          ...evaluator,
          workers,
          onValidated: (v) =>
            console.log(
              `   ${v.ok ? 'ok  ' : 'FAIL'} ${v.taskId.padEnd(30)} gold ${v.gold.status}, empty ${v.empty.status}${v.problems.length ? ` — ${v.problems.join('; ')}` : ''}`,
            ),
        });
        const bad = validations.filter((validation) => !validation.ok);
        if (bad.length)
          throw new Error(
            `${bad.length} task(s) are not well posed: ${bad.map((validation) => validation.taskId).join(', ')}`,
          );
        return `${validations.length} tasks: every gold patch resolves, every empty patch does not`;
      });
      await stage(results, 'run the agent', async () => {
        const policy = demoPolicy(process.env, examples);
        console.log(
          policy.configured
            ? `   model: ${policy.spec}`
            : '   no model configured (ROLLOUT_MODEL / OPENAI_API_KEY): replaying the bundled reference trajectories through the same agent loop',
        );
        rmSync(runsDir, { recursive: true, force: true });
        mkdirSync(runsDir, { recursive: true });
        const batch = await runBatch({
          tasks,
          policySpec: policy.spec,
          attempts: 2,
          workers,
          outDir: runsDir,
          rewardFn: binaryReward,
          evaluator,
          onFinish: (summary) =>
            console.log(
              `   ${summary.taskId.padEnd(30)} attempt ${summary.attempt}: ${summary.exitStatus}, reward ${summary.reward ?? '—'}, ${summary.turns} turns`,
            ),
        });
        totals = batch.totals;
        firstRun = batch.summaries.find((summary) => summary.path)?.path;
        console.log(
          formatSummaries(batch.summaries, batch.totals)
            .split('\n')
            .map((line) => `   ${line}`)
            .join('\n'),
        );
        written.push(runsDir);
        if (batch.totals.infraErrors)
          throw new Error(`${batch.totals.infraErrors} rollout(s) hit an infrastructure error`);
        return `${batch.totals.rollouts} rollouts, ${batch.totals.resolved} resolved`;
      });
      await stage(results, 'export datasets', async () => {
        const summaries = [];
        // Supervised fine-tuning learns from the successes; preference pairs need both outcomes.
        for (const [format, resolvedOnly] of [
          ['sft', true],
          ['dpo', false],
        ] as const) {
          const target = join(out, 'datasets', format);
          rmSync(target, { recursive: true, force: true });
          const command = `rollout export --runs ${runsDir} --format ${format}${resolvedOnly ? ' --resolved-only' : ''} --out ${target}`;
          const summary = await exportDataset({
            runs: [runsDir],
            format,
            out: target,
            resolvedOnly,
            command,
            report: (message) => console.log(`   ${message}`),
          });
          written.push(...summary.files.map((file) => join(target, file)), summary.card);
          summaries.push(`${format}: ${summary.files.map((file) => file.split('/').pop()).join(', ')}`);
        }
        return summaries.join('; ');
      });
      if (!values['no-train']) {
        await stage(results, 'fine-tune and verify', () =>
          fineTuneStage({ out, runsDir, task: tasks[0], evaluator, baseModel: values['base-model'], written }),
        );
      }
    }

    console.log('\n== summary');
    for (const result of results)
      console.log(
        `${result.ok ? 'ok  ' : 'FAIL'}  ${result.stage.padEnd(20)} ${result.seconds.toFixed(1).padStart(6)} s  ${result.detail}`,
      );
    if (totals) {
      const mean = totals.meanReward === null ? '—' : totals.meanReward.toFixed(3);
      console.log(
        `\ntasks ${tasks.length}, rollouts ${totals.rollouts}, resolved ${totals.resolved}, mean reward ${mean}, mean turns ${totals.meanTurns.toFixed(1)}, tokens ${totals.tokens}`,
      );
    }
    console.log(`\nwritten:\n${written.map((path) => `  ${path}`).join('\n')}`);
    if (values.open && firstRun) openInVsCode(firstRun);
    return results.every((result) => result.ok) ? 0 : 1;
  },
};
