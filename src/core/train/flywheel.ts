/**
 * The data flywheel: collect rollouts with the current policy, keep the good ones, fine-tune on them, serve
 * the adapter and collect again with it. Iteration 0 is the starting policy; each later iteration is the
 * adapter trained (from the base model) on everything kept so far. What it reports is the resolved rate
 * of every iteration's rollouts, measured the same way each time.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../agent/config';
import type { CreatePolicyOptions } from '../agent/policies/policySpec';
import { runBatch, type BatchTotals } from '../agent/batch';
import type { EvaluatorOptions } from '../reward/evaluator';
import type { Task } from '../task/task';
import { exportDataset } from '../export/exporter';
import { startServer, train, trainVerifier, type Device } from './jobs';
import type { TrainingOptions } from './options';
import type { RunnerHooks, RunningRunner, TrainerRunner } from './runner';
import { collectCandidates, selectBest, type Candidate } from './select';
import { Verifier } from './verifier';

/** Which runs an iteration trains on: the resolved ones, or the verifier's best attempt per task. */
export type FlywheelFilter = 'resolved' | 'verifier';

export interface FlywheelOptions {
  tasks: Task[];
  /** The policy of iteration 0 (a model, or `recorded:` the bundled recordings). */
  initialPolicy: string;
  /** Runs already collected with the initial policy: iteration 0 reads those of `tasks` instead of collecting. */
  initialRuns?: string;
  baseModel: string;
  /** Rounds of fine-tuning; the report has iterations 0…N. */
  iterations: number;
  attempts: number;
  workers: number;
  out: string;
  filter: FlywheelFilter;
  runner: TrainerRunner;
  evaluator: EvaluatorOptions;
  /** The reward of the test-graded tasks (a name in REWARD_FUNCTIONS). */
  reward: string;
  training?: TrainingOptions;
  device?: Device;
  agentConfig?: Partial<AgentConfig>;
  /** The model settings of every iteration's policy (e.g. `settings.maxTokens` per model call). */
  policyOptions?: CreatePolicyOptions;
  log?: (line: string) => void;
  trainerHooks?: RunnerHooks;
}

export interface FlywheelIteration {
  iteration: number;
  policy: string;
  runs: string;
  rollouts: number;
  resolved: number;
  /** Resolved rollouts over scored ones; null when none was scored. */
  resolvedRate: number | null;
  meanReward: number | null;
  /** The adapter this iteration's policy served, and the conversations it trained on (iteration 0: none). */
  adapter?: string;
  trainRows: number | null;
}

function rateOf(totals: BatchTotals): number | null {
  return totals.scored > 0 ? totals.resolved / totals.scored : null;
}

async function collect(options: FlywheelOptions, policy: string, runs: string): Promise<BatchTotals> {
  rmSync(runs, { recursive: true, force: true });
  mkdirSync(runs, { recursive: true });
  const { totals } = await runBatch({
    tasks: options.tasks,
    policySpec: policy,
    attempts: options.attempts,
    workers: options.workers,
    outDir: runs,
    protocol: { reward: options.reward },
    evaluator: options.evaluator,
    config: options.agentConfig,
    policyOptions: options.policyOptions,
    onFinish: (summary) =>
      options.log?.(
        `${summary.taskId} attempt ${summary.attempt}: ${summary.exitStatus}, reward ${summary.reward ?? '—'}`,
      ),
  });
  return totals;
}

/** The finished runs of the flywheel's tasks among the given folders (a recorded folder may hold other tasks). */
async function candidatesOf(options: FlywheelOptions, runs: string[]): Promise<Candidate[]> {
  const taskIds = new Set(options.tasks.map((task) => task.id));
  return (await collectCandidates(runs)).candidates.filter((candidate) => taskIds.has(candidate.taskId));
}

/** The trajectory logs to learn from: every run (the export keeps the resolved ones), or the verifier's picks. */
async function keptRuns(options: FlywheelOptions, runs: string[], iteration: number): Promise<string[]> {
  const candidates = await candidatesOf(options, runs);
  if (options.filter === 'resolved') return candidates.map((candidate) => candidate.path);
  const verifierDir = join(options.out, `iteration-${iteration}`, 'verifier');
  await trainVerifier(options.runner, { runs, out: verifierDir }, options.trainerHooks);
  const verifier = await Verifier.load(verifierDir);
  try {
    const selections = await selectBest(candidates, verifier, verifierDir);
    return selections.map((selection) => selection.chosen.path);
  } finally {
    await verifier.close();
  }
}

async function trainIteration(options: FlywheelOptions, runs: string[], iteration: number) {
  const folder = join(options.out, `iteration-${iteration}`);
  const kept = await keptRuns(options, runs, iteration);
  const dataset = join(folder, 'sft');
  rmSync(dataset, { recursive: true, force: true });
  const exported = await exportDataset({
    runs: kept,
    format: 'sft',
    out: dataset,
    resolvedOnly: options.filter === 'resolved',
    command: `rollout flywheel (iteration ${iteration}, filter ${options.filter})`,
    report: (message) => options.log?.(message),
  });
  const rows = [...exported.stats.rowsBySplit.values()].reduce((sum, count) => sum + count, 0);
  if (rows === 0)
    throw new Error(`iteration ${iteration}: no run passed the ${options.filter} filter; nothing to train on`);
  const adapter = join(folder, 'adapter');
  await train(
    options.runner,
    {
      ...options.training,
      method: 'sft',
      data: join(dataset, exported.files[0]),
      baseModel: options.baseModel,
      out: adapter,
      device: options.device,
    },
    options.trainerHooks,
  );
  return { rows, adapter };
}

/** Runs the flywheel; the servers it starts are stopped before it returns, whatever happens. */
export async function runFlywheel(options: FlywheelOptions): Promise<FlywheelIteration[]> {
  const results: FlywheelIteration[] = [];
  const collected: string[] = [];
  let policy = options.initialPolicy;
  let trained: { rows: number; adapter: string } | undefined;
  let server: RunningRunner | undefined;
  try {
    for (let iteration = 0; iteration <= options.iterations; iteration += 1) {
      const recorded = iteration === 0 ? options.initialRuns : undefined;
      const runs = recorded ?? join(options.out, `iteration-${iteration}`, 'runs');
      options.log?.(
        `iteration ${iteration}: ${recorded ? `runs recorded in ${recorded}` : `collecting with ${policy}`}`,
      );
      const totals = recorded ? await totalsOf(options, recorded) : await collect(options, policy, runs);
      collected.push(runs);
      await server?.stop();
      server = undefined;
      results.push({
        iteration,
        policy,
        runs,
        rollouts: totals.rollouts,
        resolved: totals.resolved,
        resolvedRate: rateOf(totals),
        meanReward: totals.meanReward,
        adapter: trained?.adapter,
        trainRows: trained?.rows ?? null,
      });
      if (iteration === options.iterations) break;
      trained = await trainIteration(options, collected, iteration + 1);
      server = await startServer(
        options.runner,
        { model: trained.adapter, name: `flywheel-${iteration + 1}`, device: options.device },
        options.trainerHooks,
      );
      const ready = server.readyEvent;
      if (ready.event !== 'serving') throw new Error('the trainer server did not say which policy to use');
      policy = ready.policy;
    }
  } finally {
    await server?.stop();
  }
  return results;
}

/** The totals of runs already recorded (iteration 0 given as a folder), for the flywheel's tasks. */
async function totalsOf(options: FlywheelOptions, runs: string): Promise<BatchTotals> {
  const candidates = await candidatesOf(options, [runs]);
  const rewards = candidates.map((candidate) => candidate.reward).filter((r): r is number => r !== null);
  return {
    rollouts: candidates.length,
    resolved: candidates.filter((candidate) => candidate.resolved).length,
    scored: rewards.length,
    meanReward: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null,
    meanTurns: 0,
    tokens: 0,
    wallMs: 0,
  };
}

/** The report: one line per iteration. */
export function formatFlywheel(results: FlywheelIteration[]): string {
  const header = 'iteration  rollouts  resolved  rate   trained on  policy';
  const lines = results.map((row) =>
    [
      String(row.iteration).padEnd(9),
      String(row.rollouts).padStart(8),
      String(row.resolved).padStart(8),
      (row.resolvedRate === null ? '—' : row.resolvedRate.toFixed(2)).padStart(5),
      (row.trainRows === null ? '—' : `${row.trainRows} rows`).padStart(10),
      row.policy,
    ].join('  '),
  );
  return [header, ...lines].join('\n');
}
