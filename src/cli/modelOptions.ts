/**
 * The model's knobs as CLI flags (`rollout run`, `rollout demo`), made from the one description of each knob
 * in core (MODEL_SETTING_FIELDS), plus the compaction strategy of the agent loop.
 */
import { COMPACTION_STRATEGIES, type CompactionStrategy } from '../core/agent/context/contextManager';
import { DEFAULT_AGENT_CONFIG } from '../core/agent/config';
import {
  checkModelSettings,
  MODEL_SETTING_FIELDS,
  ModelSettingsError,
  type ModelSettingField,
  type ModelSettings,
} from '../core/agent/policies/modelSettings';

type FlagOption = { type: 'string' | 'boolean'; multiple?: boolean };

const fields = Object.entries(MODEL_SETTING_FIELDS) as [
  keyof ModelSettings,
  (typeof MODEL_SETTING_FIELDS)[keyof ModelSettings],
][];

/** parseArgs options for every knob, and the negation (`--no-stream`) of each knob on by default. */
export const MODEL_FLAGS: Record<string, FlagOption> = {
  ...Object.fromEntries(
    fields.flatMap(([, field]) => [
      [
        field.flag,
        field.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: field.kind === 'strings' },
      ],
      ...(field.negation ? [[field.negation, { type: 'boolean' }]] : []),
    ]),
  ),
  compaction: { type: 'string' },
};

function usageName(field: ModelSettingField): string {
  if (field.kind === 'boolean') return `--${field.flag}${field.negation ? ` / --${field.negation}` : ''}`;
  const value = field.kind === 'strings' ? 'TEXT' : field.kind === 'choice' ? 'CHOICE' : 'N';
  return `--${field.flag} ${value}`;
}

/** The knobs' lines of a command's usage text. */
export const MODEL_FLAGS_USAGE = [
  "model settings (default: the server's own; every one is recorded in the run):",
  ...fields.map(([, field]) => `  ${usageName(field).padEnd(26)} ${field.help}`),
  `  --compaction STRATEGY      ${COMPACTION_STRATEGIES.join(' | ')}: how older turns make room in the context window (default ${DEFAULT_AGENT_CONFIG.compaction})`,
].join('\n');

/** The settings the flags give; a bad value throws a ModelSettingsError naming the flag. */
export function modelSettingsFromFlags(values: Record<string, unknown>): ModelSettings {
  const raw: Partial<Record<keyof ModelSettings, unknown>> = {};
  for (const [name, field] of fields) {
    raw[name] = values[field.flag];
    if (!field.negation || values[field.negation] !== true) continue;
    if (values[field.flag] === true)
      throw new ModelSettingsError(`--${field.flag} and --${field.negation} contradict each other`);
    raw[name] = false;
  }
  return checkModelSettings(raw);
}

export function compactionFromFlags(values: Record<string, unknown>): CompactionStrategy | undefined {
  const value = values.compaction;
  if (value === undefined) return undefined;
  if (!COMPACTION_STRATEGIES.includes(value as CompactionStrategy))
    throw new ModelSettingsError(
      `--compaction must be one of ${COMPACTION_STRATEGIES.join(', ')}, got '${String(value)}'`,
    );
  return value as CompactionStrategy;
}
