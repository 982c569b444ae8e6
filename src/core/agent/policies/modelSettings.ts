/**
 * Every knob of the model a user sets, as plain data: the CLI, VS Code settings, queue jobs and the demo all
 * produce one `ModelSettings`, each policy reads what applies to its server, and the run records it so that
 * the run can be reproduced from its file. An absent field means the server's own default.
 */
export interface ModelSettings {
  temperature?: number;
  topP?: number;
  /** Most tokens of one reply (`max_tokens`). */
  maxTokens?: number;
  seed?: number;
  /** Sequences that end a reply. */
  stop?: string[];
  /** The model's context window in tokens; asked of the server when absent. */
  contextWindow?: number;
  /** Ollama: the context size the server allocates for the model (`options.num_ctx`), and so its window. */
  numCtx?: number;
  /** US dollars per million input tokens, over the price table's. */
  priceInput?: number;
  /** US dollars per million output tokens, over the price table's. */
  priceOutput?: number;
  /** Anthropic extended thinking: the tokens the model may think before it answers (off when absent). */
  thinkingBudget?: number;
  /** How much a reasoning model thinks before it answers (OpenAI's `reasoning_effort`, Ollama's `think`). */
  reasoningEffort?: ReasoningEffort;
  /** The Responses API: a summary of each reply's reasoning, recorded as the turn's reasoning. */
  reasoningSummary?: ReasoningSummary;
  /** Stream each reply as it is written, so a live playback shows it (default DEFAULT_STREAM). */
  stream?: boolean;
  /** Record each generated token's log-probability (`logprobs`), for the RL export and PPO's ratio. */
  logprobs?: boolean;
  /** Record the prompt's and the generated tokens' ids (vLLM's `return_token_ids`), for the RL export. */
  tokenIds?: boolean;
}

/** OpenAI's reasoning effort levels, from none to xhigh (the models take some of them each). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];
/** The Responses API's reasoning summaries. */
export const REASONING_SUMMARIES = ['auto', 'concise', 'detailed'] as const;
export type ReasoningSummary = (typeof REASONING_SUMMARIES)[number];

/** The window assumed when neither the user, the server nor the model table says. */
export const FALLBACK_CONTEXT_WINDOW = 128_000;
/** Anthropic requires a reply limit on every request; this one applies when the user sets none. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 8192;
export const DEFAULT_STREAM = true;

type FieldKind = 'number' | 'integer' | 'strings' | 'boolean' | 'choice';

export interface ModelSettingField {
  kind: FieldKind;
  /** The CLI flag and, prefixed with `model.`, the VS Code setting. */
  flag: string;
  /** A boolean on by default: the CLI flag that turns it off. */
  negation?: string;
  min?: number;
  max?: number;
  /** A choice: the values it takes. */
  choices?: readonly string[];
  help: string;
}

/** The one description of each knob: the CLI options, the VS Code settings and every check are made from it. */
export const MODEL_SETTING_FIELDS: { readonly [K in keyof Required<ModelSettings>]: ModelSettingField } = {
  temperature: { kind: 'number', flag: 'temperature', min: 0, max: 2, help: 'sampling temperature' },
  topP: { kind: 'number', flag: 'top-p', min: 0, max: 1, help: 'nucleus sampling: the probability mass kept' },
  maxTokens: { kind: 'integer', flag: 'max-tokens', min: 1, help: 'most tokens of one reply' },
  seed: { kind: 'integer', flag: 'seed', help: 'sampling seed (OpenAI, vLLM, Ollama, llama.cpp)' },
  stop: { kind: 'strings', flag: 'stop', help: 'a sequence that ends a reply (repeat for more)' },
  contextWindow: {
    kind: 'integer',
    flag: 'context-window',
    min: 1024,
    help: 'the context window in tokens (default: asked of the server, else the model table, else 128000)',
  },
  numCtx: {
    kind: 'integer',
    flag: 'num-ctx',
    min: 1024,
    help: 'Ollama (ollama: policies): the context size the server allocates for the model',
  },
  priceInput: { kind: 'number', flag: 'price-input', min: 0, help: 'US dollars per million input tokens' },
  priceOutput: { kind: 'number', flag: 'price-output', min: 0, help: 'US dollars per million output tokens' },
  thinkingBudget: {
    kind: 'integer',
    flag: 'thinking-budget',
    min: 1024,
    help: 'Anthropic extended thinking: tokens the model may think (below --max-tokens)',
  },
  reasoningEffort: {
    kind: 'choice',
    flag: 'reasoning-effort',
    choices: REASONING_EFFORTS,
    help: `how much a reasoning model thinks (OpenAI, gpt-oss, Ollama): ${REASONING_EFFORTS.join(' | ')}`,
  },
  reasoningSummary: {
    kind: 'choice',
    flag: 'reasoning-summary',
    choices: REASONING_SUMMARIES,
    help: `openai-responses: record a summary of each reply's reasoning: ${REASONING_SUMMARIES.join(' | ')}`,
  },
  stream: {
    kind: 'boolean',
    flag: 'stream',
    negation: 'no-stream',
    help: `stream replies as they are written (default ${DEFAULT_STREAM})`,
  },
  logprobs: {
    kind: 'boolean',
    flag: 'logprobs',
    help: "record each generated token's log-probability, for the RL export (OpenAI-compatible servers, Ollama)",
  },
  tokenIds: {
    kind: 'boolean',
    flag: 'token-ids',
    help: "record the prompt's and the generated tokens' ids, for the RL export (vLLM's return_token_ids; rollout serve)",
  },
};

export class ModelSettingsError extends Error {}

/** Knobs only one API has, and what a policy of another API says when one is set. */
const ONE_API_KNOBS = {
  thinkingBudget: '--thinking-budget is Anthropic extended thinking: use an anthropic: policy',
  numCtx: "--num-ctx sets Ollama's context size: use the policy ollama:MODEL[@URL]",
} as const;

/** Refuses those of `knobs` that `settings` set: knobs of another API, which this policy's would not take. */
export function refuseKnobsOfOtherAPIs(settings: ModelSettings, knobs: readonly (keyof typeof ONE_API_KNOBS)[]): void {
  for (const knob of knobs) if (settings[knob] !== undefined) throw new ModelSettingsError(ONE_API_KNOBS[knob]);
}

/**
 * Checks values from any source (parsed CLI flags, VS Code settings, a queued job) and returns the settings;
 * `nameOf` says how the source names a field, so the error points at what the user wrote.
 */
export function checkModelSettings(
  raw: Partial<Record<keyof ModelSettings, unknown>>,
  nameOf: (field: keyof ModelSettings) => string = (field) => `--${MODEL_SETTING_FIELDS[field].flag}`,
): ModelSettings {
  const settings: Record<string, unknown> = {};
  for (const field of Object.keys(MODEL_SETTING_FIELDS) as (keyof ModelSettings)[]) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    settings[field] = checkField(MODEL_SETTING_FIELDS[field], value, nameOf(field));
  }
  const checked = settings as ModelSettings;
  if (checked.thinkingBudget !== undefined && checked.maxTokens !== undefined)
    if (checked.thinkingBudget >= checked.maxTokens)
      throw new ModelSettingsError(
        `${nameOf('thinkingBudget')} (${checked.thinkingBudget}) must be below ${nameOf('maxTokens')} (${checked.maxTokens}): thinking counts toward the reply limit`,
      );
  return checked;
}

function checkField(field: ModelSettingField, value: unknown, name: string): unknown {
  switch (field.kind) {
    case 'choice':
      if (typeof value !== 'string' || !field.choices?.includes(value))
        throw new ModelSettingsError(`${name} must be one of ${field.choices?.join(', ')}, got ${show(value)}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ModelSettingsError(`${name} must be true or false, got ${show(value)}`);
      return value;
    case 'strings': {
      const list = Array.isArray(value) ? value : [value];
      if (!list.every((item) => typeof item === 'string' && item.length > 0))
        throw new ModelSettingsError(`${name} must be one or more non-empty strings, got ${show(value)}`);
      return list;
    }
    default: {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number))
        throw new ModelSettingsError(`${name} must be a number, got ${show(value)}`);
      if (field.kind === 'integer' && !Number.isInteger(number))
        throw new ModelSettingsError(`${name} must be a whole number, got ${show(value)}`);
      if (field.min !== undefined && number < field.min)
        throw new ModelSettingsError(`${name} must be at least ${field.min}, got ${number}`);
      if (field.max !== undefined && number > field.max)
        throw new ModelSettingsError(`${name} must be at most ${field.max}, got ${number}`);
      return number;
    }
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
