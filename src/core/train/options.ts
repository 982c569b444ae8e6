import { parseArgs } from 'node:util';

/**
 * The training options, once: their flags (the same on `rollout train`, `rollout flywheel`, `rollout demo`,
 * in VS Code's Fine-tune command and on the Python runner), how they parse and what the runner is told.
 * The runner records every one of them in the adapter's metadata (`rollout-trainer.json`).
 */

export type TrainMethod = 'sft' | 'dpo' | 'pg';
export type Switch = 'auto' | 'on' | 'off';

export interface TrainingOptions {
  maxSteps?: number;
  epochs?: number;
  batchSize?: number;
  gradAccum?: number;
  learningRate?: number;
  lrScheduler?: string;
  warmupSteps?: number;
  /** Tokens per row; a longer row is fitted by `truncation`. */
  maxLength?: number;
  /** `keep-latest-turns`: the opening and the latest whole turns; `drop`: the row is left out. Never inside a turn. */
  truncation?: 'keep-latest-turns' | 'drop';
  loraR?: number;
  loraAlpha?: number;
  loraDropout?: number;
  /** `all-linear` or module names, comma-separated. */
  loraTargets?: string;
  /** DPO: the preference temperature; PG: the weight of the KL penalty to the base model. */
  beta?: number;
  /** SFT only (TRL's DPO has no padding-free mode; PG pads). */
  paddingFree?: Switch;
  gradientCheckpointing?: Switch;
  /** PG: the row's trajectory advantage or its per-turn one. */
  advantage?: 'trajectory' | 'turn';
  /** PG: the PPO clip range when rows carry recorded logprobs. */
  clipEpsilon?: number;
  /** Several devices: `auto` launches one process per visible GPU (DDP; FSDP when the model does not fit one). */
  distributed?: 'auto' | 'off' | 'ddp' | 'fsdp';
  processes?: number;
  /** How the chat template gets tool-call arguments: a mapping (`object`: Qwen2.5, Llama 3.x, Qwen3) or JSON text. */
  toolArguments?: 'object' | 'string';
  saveSteps?: number;
  seed?: number;
}

type Kind = 'int' | 'number' | { choices: readonly string[] } | 'text';

interface OptionSpec {
  flag: string;
  key: keyof TrainingOptions;
  kind: Kind;
  help: string;
  /** The methods whose runner command takes it; absent: every method. */
  methods?: readonly TrainMethod[];
}

export const TRAINING_OPTIONS: readonly OptionSpec[] = [
  { flag: 'max-steps', key: 'maxSteps', kind: 'int', help: 'optimizer steps (default: --epochs)' },
  { flag: 'epochs', key: 'epochs', kind: 'number', help: 'passes over the data (default 1)' },
  { flag: 'batch-size', key: 'batchSize', kind: 'int', help: 'rows per device and step (default 4)' },
  { flag: 'grad-accum', key: 'gradAccum', kind: 'int', help: 'gradient accumulation steps (default 1)' },
  { flag: 'lr', key: 'learningRate', kind: 'number', help: 'learning rate (default 2e-4)' },
  {
    flag: 'lr-scheduler',
    key: 'lrScheduler',
    kind: { choices: ['linear', 'cosine', 'constant', 'constant_with_warmup', 'cosine_with_restarts', 'polynomial'] },
    help: 'learning-rate schedule (default linear)',
  },
  { flag: 'warmup-steps', key: 'warmupSteps', kind: 'int', help: 'warm-up steps (default 0)' },
  { flag: 'max-length', key: 'maxLength', kind: 'int', help: 'tokens per row (default 4096)' },
  {
    flag: 'truncation',
    key: 'truncation',
    kind: { choices: ['keep-latest-turns', 'drop'] },
    help: 'a longer row keeps its opening and latest whole turns, or is dropped (default keep-latest-turns)',
  },
  { flag: 'lora-r', key: 'loraR', kind: 'int', help: 'LoRA rank (default 16)' },
  { flag: 'lora-alpha', key: 'loraAlpha', kind: 'int', help: 'LoRA alpha (default 32)' },
  { flag: 'lora-dropout', key: 'loraDropout', kind: 'number', help: 'LoRA dropout (default 0)' },
  { flag: 'lora-targets', key: 'loraTargets', kind: 'text', help: 'all-linear (default) or q_proj,v_proj,…' },
  {
    flag: 'beta',
    key: 'beta',
    kind: 'number',
    help: 'dpo: preference temperature (0.1); pg: KL weight to the base (0.04)',
    methods: ['dpo', 'pg'],
  },
  {
    flag: 'padding-free',
    key: 'paddingFree',
    kind: { choices: ['auto', 'on', 'off'] },
    help: 'sft: pack rows without padding (auto: with a flash-attention kernel on CUDA)',
    methods: ['sft'],
  },
  {
    flag: 'gradient-checkpointing',
    key: 'gradientCheckpointing',
    kind: { choices: ['auto', 'on', 'off'] },
    help: 'recompute activations to save memory (auto: on for CUDA)',
  },
  {
    flag: 'advantage',
    key: 'advantage',
    kind: { choices: ['trajectory', 'turn'] },
    help: 'pg: per-trajectory (default) or per-turn advantages',
    methods: ['pg'],
  },
  { flag: 'clip-epsilon', key: 'clipEpsilon', kind: 'number', help: 'pg: PPO clip range (0.2)', methods: ['pg'] },
  {
    flag: 'distributed',
    key: 'distributed',
    kind: { choices: ['auto', 'off', 'ddp', 'fsdp'] },
    help: 'several GPUs: auto = DDP over each visible GPU, FSDP when the model does not fit one',
  },
  { flag: 'processes', key: 'processes', kind: 'int', help: 'processes to launch (default: one per visible GPU)' },
  {
    flag: 'tool-arguments',
    key: 'toolArguments',
    kind: { choices: ['object', 'string'] },
    help: 'tool-call arguments as a mapping (default; templates that apply tojson) or JSON text',
  },
  { flag: 'save-steps', key: 'saveSteps', kind: 'int', help: 'checkpoint every N steps (default 50)' },
  { flag: 'seed', key: 'seed', kind: 'int', help: 'seed (default 42)' },
];

/** The flags for node's `parseArgs` (every value a string, parsed by `trainingOptionsFrom`). */
export const TRAINING_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(
  TRAINING_OPTIONS.map((option) => [option.flag, { type: 'string' as const }]),
);

/** One usage line per option, for `--help` texts. */
export function trainingOptionsUsage(indent = '  '): string {
  return TRAINING_OPTIONS.map((option) => `${indent}--${option.flag.padEnd(24)}${option.help}`).join('\n');
}

export class TrainingOptionError extends Error {}

function parseValue(option: OptionSpec, raw: string): string | number {
  const { kind, flag } = option;
  if (kind === 'text') {
    if (!raw.trim()) throw new TrainingOptionError(`--${flag}: empty`);
    return raw;
  }
  if (typeof kind === 'object') {
    if (!kind.choices.includes(raw))
      throw new TrainingOptionError(`--${flag} must be one of ${kind.choices.join(', ')}, not ${raw}`);
    return raw;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || raw.trim() === '') throw new TrainingOptionError(`--${flag}: not a number: ${raw}`);
  if (kind === 'int' && !Number.isInteger(value)) throw new TrainingOptionError(`--${flag}: not an integer: ${raw}`);
  return value;
}

/** The training options among parsed flag values (`parseArgs(…).values`); a bad value names its flag. */
export function trainingOptionsFrom(values: Record<string, unknown>): TrainingOptions {
  const options: Record<string, string | number> = {};
  for (const option of TRAINING_OPTIONS) {
    const raw = values[option.flag];
    if (typeof raw === 'string') options[option.key] = parseValue(option, raw);
  }
  return options as TrainingOptions;
}

/** The options that apply to `method`, the others dropped: one configuration shared by several methods. */
export function trainingOptionsFor(method: TrainMethod, options: TrainingOptions): TrainingOptions {
  const applies = (key: string) =>
    TRAINING_OPTIONS.find((option) => option.key === key)?.methods?.includes(method) ?? true;
  return Object.fromEntries(Object.entries(options).filter(([key]) => applies(key))) as TrainingOptions;
}

/** The runner's flags for these options; one the method does not take is an error naming it. */
export function trainingArgs(method: TrainMethod, options: TrainingOptions): string[] {
  const args: string[] = [];
  for (const option of TRAINING_OPTIONS) {
    const value = options[option.key];
    if (value === undefined) continue;
    if (option.methods && !option.methods.includes(method))
      throw new TrainingOptionError(`--${option.flag} does not apply to --method ${method}`);
    args.push(`--${option.flag}`, String(value));
  }
  return args;
}

/** Training options from a line of flags as typed on `rollout train` (`--max-length 8192 --lora-r 32`). */
export function parseTrainingFlags(line: string): TrainingOptions {
  const args = line.trim() ? line.trim().split(/\s+/) : [];
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options: TRAINING_FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new TrainingOptionError((error as Error).message);
  }
  return trainingOptionsFrom(values);
}
