/**
 * The one definition of a turn's reward. The agent loop records per-turn signals (counts of what happened:
 * format errors, failed tool calls, whether the work tree changed); this weighs them into one number. The
 * gated reward, the RL export and the playback chart all use it, so a turn is worth the same everywhere.
 */
import type { TurnSignals } from '../trajectory/types';

/**
 * Weight of each known signal. Errors are penalties. A signal not named here (an imported run's own, a
 * newer recorder's) weighs 0 rather than being guessed at.
 */
export const SIGNAL_WEIGHTS: Readonly<Record<string, number>> = {
  /** The turn changed the work tree (1) or not (0). */
  diff_changed: 0.1,
  /** Replies with no usable tool call, or calls with bad JSON, an unknown tool, or arguments off the schema. */
  format_errors: -0.05,
  /** Calls that ran and failed (missing file, no match, timeout). */
  tool_errors: -0.05,
};

/**
 * A turn's reward from its signals: the weighted sum of the known ones, 0 for a turn without signals. A turn with
 * an error earns at most 0: what else it did (a change to the work tree) never pays for the error.
 */
export function turnReward(signals: TurnSignals | undefined): number {
  let reward = 0;
  let penalised = false;
  for (const [name, count] of Object.entries(signals ?? {})) {
    const weight = SIGNAL_WEIGHTS[name] ?? 0;
    reward += weight * count;
    if (weight < 0 && count > 0) penalised = true;
  }
  return penalised ? Math.min(reward, 0) : reward;
}
