import type { CompactionStrategy } from './context/contextManager';

/**
 * Every limit of an agent run. Reaching one ends the run with the exit status named beside it. The token, cost
 * and time limits hold over the run's whole conversation: every round, and its protocol's own models (simulated
 * user, judge, feedback) too.
 */
export interface AgentConfig {
  /** Most agent model calls (turns) in one run (`turn_limit`). */
  maxTurns: number;
  /** Most prompt + completion tokens over the whole run, every model's (`token_limit`). */
  maxTokens: number;
  /** Most spend in US dollars, where the policies report cost (`cost_limit`). */
  maxCostUsd: number;
  /** Most wall-clock time for the run's conversation (`time_limit`). */
  maxWallMs: number;
  /** Replies in a row with no usable tool call before the run gives up (`error`). */
  maxConsecutiveFormatErrors: number;
  /** Limit of one bash command inside the sandbox. */
  commandTimeoutMs: number;
  /**
   * How older turns make room when a request would not fit the model's context window (the window comes
   * from the policy: given, asked of the server, or the model table).
   */
  compaction: CompactionStrategy;
}

/**
 * The one set of defaults for a run's limits: `rollout run`, `rollout flywheel`, the queue's workers and VS Code's
 * `rolloutStudio.budget.*` settings (package.json declares these values; a unit test holds them equal).
 */
export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  maxTurns: 30,
  maxTokens: 2_000_000,
  maxCostUsd: 5,
  maxWallMs: 30 * 60_000,
  maxConsecutiveFormatErrors: 3,
  commandTimeoutMs: 120_000,
  compaction: 'sliding-window',
};

/** The limits of one rollout in words, for `--help` texts: `30 turns, 2,000,000 tokens, $5.00, 30 minutes`. */
export function describeLimits(
  config: Pick<AgentConfig, 'maxTurns' | 'maxTokens' | 'maxCostUsd' | 'maxWallMs'>,
): string {
  const { maxTurns, maxTokens, maxCostUsd, maxWallMs } = config;
  return limitPhrases({ maxTurns, maxTokens, maxCostUsd, maxWallMs }).join(', ');
}

/**
 * Each limit `config` holds, in words and in `AgentConfig`'s order (`30 turns`, `$5.00`, `120 s per command`,
 * `no cost limit`, `sliding-window compaction`); a limit it leaves out is not named.
 */
export function limitPhrases(config: Partial<AgentConfig>): string[] {
  const phrases: Record<keyof AgentConfig, (value: never) => string> = {
    maxTurns: (turns: number) => (Number.isFinite(turns) ? `${turns} turns` : 'no turn limit'),
    maxTokens: (tokens: number) =>
      Number.isFinite(tokens) ? `${tokens.toLocaleString('en-US')} tokens` : 'no token limit',
    maxCostUsd: (cost: number) => (Number.isFinite(cost) ? `$${cost.toFixed(2)}` : 'no cost limit'),
    maxWallMs: (ms: number) => (Number.isFinite(ms) ? `${ms / 60_000} minutes` : 'no time limit'),
    maxConsecutiveFormatErrors: (errors: number) => `${errors} unusable replies in a row`,
    commandTimeoutMs: (ms: number) => `${ms / 1000} s per command`,
    compaction: (strategy: CompactionStrategy) => `${strategy} compaction`,
  };
  return (Object.keys(phrases) as (keyof AgentConfig)[]).flatMap((key) =>
    config[key] === undefined ? [] : [phrases[key](config[key] as never)],
  );
}
