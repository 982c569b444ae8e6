import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCliSymbolParser } from '../../core/agent/codemap/nativeTreeSitterParser';
import { runBatch, type BatchTotals } from '../../core/agent/batch';
import { exportDataset } from '../../core/export/exporter';
import { playbackLink } from '../../core/trajectory/playbackLink';
import { exampleTasksFolder } from '../../core/paths';
import { dockerEvaluatorOptions } from '../../core/reward/dockerEvaluatorOptions';
import { validateTasks } from '../../core/reward/validateTasks';
import type { EvaluatorOptions } from '../../core/reward/evaluator';
import { runDoctor } from '../../core/sandbox/doctor';
import { formatFlywheel, runFlywheel } from '../../core/train/flywheel';
import { chooseRunner, makeTinyModel, train, trainVerifier } from '../../core/train/jobs';
import {
  TRAINING_FLAGS,
  trainingOptionsFor,
  trainingOptionsFrom,
  trainingOptionsUsage,
  type TrainingOptions,
} from '../../core/train/options';
import { formatRunnerEvent, type RunnerEvent } from '../../core/train/runner';
import { collectCandidates, heldOutSelections, selectBest, summariseSelection } from '../../core/train/select';
import { Verifier } from '../../core/train/verifier';
import { loadTasksStrict } from '../../core/task/loadTasks';
import type { Task } from '../../core/task/task';
import { formatChecks } from './doctor';
import type { CompactionStrategy } from '../../core/agent/context/contextManager';
import { ModelSettingsError, type ModelSettings } from '../../core/agent/policies/modelSettings';
import { compactionFromFlags, MODEL_FLAGS, MODEL_FLAGS_USAGE, modelSettingsFromFlags } from '../modelOptions';
import type { CliCommand } from './index';
import { formatSummaries } from './run';
import { countOption, parseCommandLine } from '../grammar';

/** Tasks the demo's flywheel runs on: a few, so that two rounds of a tiny model stay short on two cores. */
const FLYWHEEL_TASKS = 3;

const USAGE = `usage: rollout demo [--out DIR] [--workers N] [--base-model PATH_OR_ID] [--no-train] [--open] [model settings] [training options]

The main job on the bundled example tasks (tasks/examples), with nothing configured:
  1. check the set-up (doctor)
  2. validate every task: the gold patch resolves it, the empty patch does not
  3. run the agent on every task, twice: with the model in ROLLOUT_MODEL (a policy spec such as
     openai:gpt-4o-mini or openai:qwen@http://localhost:8000/v1) or OPENAI_API_KEY (OPENAI_MODEL,
     OPENAI_BASE_URL) when set; otherwise the bundled reference trajectories' actions, re-issued through the same loop
  4. export an SFT and a DPO dataset with their dataset cards
  5. one DPO step of a tiny local model (or --base-model) on two of the DPO export's preference pairs; then
     the flywheel, two iterations on the first ${FLYWHEEL_TASKS} tasks from their runs above: LoRA-train the
     model on the resolved runs for a few steps on CPU (or --base-model on the GPU), serve it, collect with it
     through the same agent loop, and again; then train the outcome verifier on the runs and report its best
     of N on the tasks it held out (--no-train skips this stage)
and print one summary with the time of each stage and the paths of everything written.
--open opens the playback of the first run in VS Code (the Rollout Studio extension installed).
${MODEL_FLAGS_USAGE}
Training options (as on rollout train) override the demo's configuration:
${trainingOptionsUsage()}`;

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
  return { spec: `recorded:${examplesDir}`, configured: false };
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

/** The demo's training configuration; every training flag of `rollout train` given to `rollout demo` overrides it. */
export const DEMO_TRAINING: TrainingOptions = {
  maxSteps: 4,
  batchSize: 4,
  learningRate: 5e-4,
  // The bundled runs are 6k–13k tokens of the tiny model's tokenizer, 4k of them the opening (tool schemas
  // and task): a long run keeps its opening and its latest turns.
  maxLength: 8192,
  truncation: 'keep-latest-turns',
  loraR: 16,
  loraAlpha: 32,
  loraDropout: 0,
  loraTargets: 'all-linear',
  gradientCheckpointing: 'auto',
  paddingFree: 'auto',
};

/** Where the demo writes when given no `--out`: the current folder's `rollout-demo` (git-ignored in this repository). */
export const DEFAULT_DEMO_OUT = 'rollout-demo';

/** The demo's DPO step over DEMO_TRAINING: one optimizer step on two pairs. A pair is two sequences of up to 8k
 * tokens through the policy and the reference, so DEMO_TRAINING's 4 × 4 took 18 minutes on a loaded 2-core
 * machine; training flags given to `rollout demo` override this too. */
export const DEMO_DPO_TRAINING: TrainingOptions = { maxSteps: 1, batchSize: 2 };

interface FineTuneInput {
  out: string;
  runsDir: string;
  tasks: Task[];
  policy: string;
  evaluator: EvaluatorOptions;
  baseModel?: string;
  training: TrainingOptions;
  dpoTraining: TrainingOptions;
  written: string[];
}

/** Closes the loop: a DPO step on the demo's preference pairs, two flywheel iterations from the demo's runs
 * (fine-tune, serve, collect again), then the verifier, trained on the demo's runs and reported on the tasks it
 * held out. */
async function fineTuneStage({
  out,
  runsDir,
  tasks,
  policy,
  evaluator,
  baseModel,
  training,
  dpoTraining,
  written,
}: FineTuneInput): Promise<string> {
  const trainerDir = join(out, 'trainer');
  rmSync(trainerDir, { recursive: true, force: true });
  const hooks = {
    onEvent: (event: RunnerEvent) =>
      (event.event === 'progress' || event.event === 'placement') && console.log(`   ${formatRunnerEvent(event)}`),
  };
  const runner = await chooseRunner({ onLog: (line) => console.log(`   ${line}`) });
  console.log(`   trainer: ${runner.description}`);
  const base = baseModel ?? ((await makeTinyModel(runner, join(trainerDir, 'tiny-base'))).outputs.model as string);
  const device = baseModel ? 'auto' : 'cpu';
  const pairs = join(out, 'datasets', 'dpo', 'train.jsonl');
  const pairCount = existsSync(pairs) ? readFileSync(pairs, 'utf8').split('\n').filter(Boolean).length : 0;
  let dpoSummary = 'DPO: no preference pairs in the export (every task had one outcome)';
  if (pairCount) {
    const dpo = await train(
      runner,
      {
        ...trainingOptionsFor('dpo', dpoTraining),
        method: 'dpo',
        data: pairs,
        baseModel: base,
        out: join(trainerDir, 'dpo'),
        device,
      },
      hooks,
    );
    written.push(join(trainerDir, 'dpo'));
    dpoSummary = `DPO on ${pairCount} preference pairs: ${String(dpo.outputs.steps)} steps`;
  }
  console.log(`   ${dpoSummary}`);
  const flywheel = await runFlywheel({
    tasks: tasks.slice(0, FLYWHEEL_TASKS),
    initialPolicy: policy,
    initialRuns: runsDir, // iteration 0: the demo's own runs of these tasks
    baseModel: base,
    iterations: 2,
    attempts: 1,
    workers: 1,
    out: join(trainerDir, 'flywheel'),
    filter: 'resolved',
    runner,
    evaluator,
    reward: 'binary',
    training,
    device,
    agentConfig: { maxTurns: 3 },
    // A tiny random model rarely stops on its own: bound each call so two iterations stay short.
    policyOptions: { settings: { maxTokens: 256 } },
    log: (line) => console.log(`   ${line}`),
    trainerHooks: hooks,
  });
  console.log(
    formatFlywheel(flywheel)
      .split('\n')
      .map((line) => `   ${line}`)
      .join('\n'),
  );
  written.push(join(trainerDir, 'flywheel'));

  const verifierDir = join(trainerDir, 'verifier');
  await trainVerifier(runner, { runs: [runsDir], out: verifierDir }, hooks);
  const verifier = await Verifier.load(verifierDir);
  try {
    const selections = await selectBest((await collectCandidates([runsDir])).candidates, verifier, verifierDir);
    const heldOut = summariseSelection(heldOutSelections(selections, verifier.card.holdout_tasks));
    written.push(verifierDir);
    const format = (value: number | null | undefined) =>
      value === null || value === undefined ? '—' : value.toFixed(2);
    const rates = flywheel.map((row) => format(row.resolvedRate)).join(' → ');
    return `${dpoSummary}; flywheel resolved rate by iteration ${rates}; verifier on ${heldOut.tasks} held-out tasks: accuracy ${format(verifier.card.holdout_accuracy)}, best-of-N mean reward ${format(heldOut.chosenMeanReward)} against ${format(heldOut.averageMeanReward)} for a random attempt`;
  } finally {
    await verifier.close();
  }
}

export const demoCommand: CliCommand = {
  summary: 'the main job: validate, run, grade and export on the bundled example tasks',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'demo',
        usage: USAGE,
        options: {
          out: { type: 'string', default: DEFAULT_DEMO_OUT },
          workers: { type: 'string', default: '2' },
          'base-model': { type: 'string' },
          'no-train': { type: 'boolean' },
          ...TRAINING_FLAGS,
          open: { type: 'boolean' },
          ...MODEL_FLAGS,
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    let settings: ModelSettings;
    let compaction: CompactionStrategy | undefined;
    try {
      settings = modelSettingsFromFlags(values);
      compaction = compactionFromFlags(values);
    } catch (error) {
      if (!(error instanceof ModelSettingsError)) throw error;
      console.error(`rollout demo: ${error.message}`);
      return 2;
    }
    const out = resolve(values.out);
    const workers = countOption('workers', values.workers, 2);
    const examples = exampleTasksFolder();
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
            : '   no model configured (ROLLOUT_MODEL / OPENAI_API_KEY): re-issuing the actions of the bundled reference trajectories through the same agent loop',
        );
        rmSync(runsDir, { recursive: true, force: true });
        mkdirSync(runsDir, { recursive: true });
        const batch = await runBatch({
          tasks,
          policySpec: policy.spec,
          attempts: 2,
          workers,
          outDir: runsDir,
          protocol: { reward: 'binary' },
          evaluator,
          symbolParser: createCliSymbolParser(),
          policyOptions: { settings },
          ...(compaction ? { config: { compaction } } : {}),
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
        const infraErrors = batch.totals.unscored?.infra_error;
        if (infraErrors) throw new Error(`${infraErrors} rollout(s) hit an infrastructure error`);
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
        await stage(results, 'flywheel and verifier', () =>
          fineTuneStage({
            out,
            runsDir,
            tasks,
            policy: demoPolicy(process.env, examples).spec,
            evaluator,
            baseModel: values['base-model'],
            training: { ...DEMO_TRAINING, ...trainingOptionsFrom(values) },
            dpoTraining: { ...DEMO_TRAINING, ...DEMO_DPO_TRAINING, ...trainingOptionsFrom(values) },
            written,
          }),
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
