import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerRunner } from './dockerRunner';
import {
  describeLast,
  RUNNER_EXIT,
  type RunnerHooks,
  type RunnerInvocation,
  type RunningRunner,
  type TrainerRunner,
} from './runner';
import { trainingArgs, type TrainingOptions, type TrainMethod } from './options';
import { collectCandidates, writeVerifierDataset } from './select';
import { detectTorchVariant, ensureVenv, nvidiaGpuPresent } from './venv';
import { VenvRunner } from './venvRunner';

export type Device = 'auto' | 'cuda' | 'cpu';

/** A fine-tune job: the runner's `sft`, `dpo` or `pg` command with its training options. */
export interface TrainJob extends TrainingOptions {
  method: TrainMethod;
  /** The SFT export (`{"messages","tools"}` lines), the DPO export (`{"prompt","chosen","rejected"}`) or the RL export. */
  data: string;
  /** A model folder or a Hugging Face id. */
  baseModel: string;
  out: string;
  device?: Device;
}

export interface RunnerChoice {
  /** Run in a container from this image instead of the local venv. */
  dockerImage?: string;
  /** With dockerImage: pass every GPU through; by default when nvidia-smi finds one (a request no engine can meet fails the start). */
  gpus?: boolean;
  onLog?: (line: string) => void;
}

/** The local venv (built on first use) or, given an image, a container with the host's GPUs passed through. */
export async function chooseRunner(choice: RunnerChoice = {}): Promise<TrainerRunner> {
  if (choice.dockerImage)
    return new DockerRunner({ image: choice.dockerImage, gpus: choice.gpus ?? (await nvidiaGpuPresent()) });
  return new VenvRunner(await ensureVenv(await detectTorchVariant(), choice.onLog));
}

function localPaths(...paths: string[]): string[] {
  return paths.filter((path) => existsSync(path)).map((path) => resolve(path));
}

export function trainInvocation(job: TrainJob): RunnerInvocation {
  const args = [
    '--data',
    resolve(job.data),
    '--base-model',
    existsSync(job.baseModel) ? resolve(job.baseModel) : job.baseModel,
    '--out',
    resolve(job.out),
  ];
  if (job.device !== undefined) args.push('--device', job.device);
  args.push(...trainingArgs(job.method, job));
  return { command: job.method, args, paths: [...localPaths(job.data, job.baseModel), resolve(job.out)] };
}

export interface JobResult {
  /** `done` fields: adapter, checkpoints, summary, steps, final_loss (training) or the command's outputs. */
  outputs: Record<string, unknown>;
}

/** Thrown when the runner stopped without `done`; `cancelled` runs leave a checkpoint a rerun resumes from. */
export class TrainerJobError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly kind: string,
  ) {
    super(message);
  }
}

/** Runs one runner command to its end; resolves with its `done` line, throws with its `error` line. */
export async function runToCompletion(
  runner: TrainerRunner,
  invocation: RunnerInvocation,
  hooks: RunnerHooks = {},
): Promise<JobResult> {
  const outcome = await runner.run(invocation, hooks);
  const last = outcome.last;
  if (outcome.exitCode === RUNNER_EXIT.ok && last?.event === 'done') {
    const outputs: Record<string, unknown> = { ...last };
    delete outputs.event;
    return { outputs };
  }
  if (outcome.cancelled || outcome.exitCode === RUNNER_EXIT.cancelled) {
    throw new TrainerJobError(
      `cancelled; rerun the same command to resume from the last checkpoint`,
      outcome.exitCode,
      'cancelled',
    );
  }
  const kind = last?.event === 'error' ? last.kind : 'internal';
  throw new TrainerJobError(
    `${invocation.command} failed (${runner.description}, exit ${outcome.exitCode}): ${describeLast(last)}`,
    outcome.exitCode,
    kind,
  );
}

export function train(runner: TrainerRunner, job: TrainJob, hooks: RunnerHooks = {}): Promise<JobResult> {
  return runToCompletion(runner, trainInvocation(job), hooks);
}

export interface ServeOptions {
  /** A `rollout train` output folder, an adapter folder, or a model folder. */
  model: string;
  baseModel?: string;
  name?: string;
  port?: number;
  host?: string;
  device?: Device;
  /** The serving engine: vLLM when installed and on a GPU (auto), or the bundled transformers server. */
  engine?: ServeEngine;
}

export const SERVE_ENGINES = ['auto', 'bundled', 'vllm'] as const;
export type ServeEngine = (typeof SERVE_ENGINES)[number];

/** Starts the runner's OpenAI-compatible server; the ready event carries `policy` (`openai:NAME@URL`). */
export function startServer(
  runner: TrainerRunner,
  options: ServeOptions,
  hooks: RunnerHooks = {},
): Promise<RunningRunner> {
  const args = ['--model', resolve(options.model), '--port', String(options.port ?? 0)];
  if (options.baseModel)
    args.push('--base-model', existsSync(options.baseModel) ? resolve(options.baseModel) : options.baseModel);
  if (options.name) args.push('--name', options.name);
  if (options.host) args.push('--host', options.host);
  if (options.device) args.push('--device', options.device);
  if (options.engine) args.push('--engine', options.engine);
  const base = options.baseModel ?? baseModelOfTrainOutput(options.model);
  return runner.start(
    { command: 'serve', args, paths: localPaths(options.model, ...(base ? [base] : [])) },
    'serving',
    hooks,
  );
}

/** The base model a `rollout train` output folder was trained from (a container must mount it too). */
function baseModelOfTrainOutput(folder: string): string | undefined {
  const summary = join(folder, 'rollout-trainer.json');
  if (!existsSync(summary)) return undefined;
  const parsed = JSON.parse(readFileSync(summary, 'utf8')) as { base_model?: unknown };
  return typeof parsed.base_model === 'string' ? parsed.base_model : undefined;
}

export interface VerifierJob {
  /** Recorded runs with rewards: trajectory logs, run folders or output folders. */
  runs: string[];
  out: string;
  epochs?: number;
  /** Told about each finished run that could not be used. */
  onSkipped?: (reason: string) => void;
}

/** Trains the outcome verifier on recorded runs and their rewards; `outputs` names the ONNX model. */
export async function trainVerifier(
  runner: TrainerRunner,
  job: VerifierJob,
  hooks: RunnerHooks = {},
): Promise<JobResult & { rows: number; finishedRuns: number; dataset: string }> {
  const scan = await collectCandidates(job.runs);
  for (const skipped of scan.skipped) job.onSkipped?.(skipped);
  // Absolute: the runner works in its own folder (or a container), where a relative --out names another place.
  const out = resolve(job.out);
  mkdirSync(out, { recursive: true });
  const dataset = join(out, 'verifier-runs.jsonl');
  const rows = await writeVerifierDataset(scan.candidates, dataset);
  const args = ['--data', dataset, '--out', out];
  if (job.epochs) args.push('--epochs', String(job.epochs));
  return {
    ...(await runToCompletion(runner, { command: 'verifier', args, paths: [out] }, hooks)),
    rows,
    finishedRuns: scan.candidates.length,
    dataset,
  };
}

/** Writes a tiny random model with a chat template (for smoke runs and CPU demos; no download). */
export async function makeTinyModel(runner: TrainerRunner, out: string, hooks: RunnerHooks = {}): Promise<JobResult> {
  return runToCompletion(
    runner,
    { command: 'tiny-model', args: ['--out', resolve(out)], paths: [resolve(out)] },
    hooks,
  );
}
