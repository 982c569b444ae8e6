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
  const cost = Number.isFinite(config.maxCostUsd) ? `$${config.maxCostUsd.toFixed(2)}` : 'no cost limit';
  return `${config.maxTurns} turns, ${config.maxTokens.toLocaleString('en-US')} tokens, ${cost}, ${config.maxWallMs / 60_000} minutes`;
}
