/**
 * Logs written under an older schema version are read as the current one: each line is brought up to date as
 * it is read, so everything past the reader sees one shape. What changed in each version:
 * - 2: a turn's `rewards` became `signals` (counts of what happened, weighed by `turnReward`).
 * - 3: `result.totals.cost_usd` may be null (a cost not known); older logs' numbers are kept as they are.
 */
import { TRAJECTORY_SCHEMA_VERSION } from './types';

export const OLDEST_READABLE_SCHEMA_VERSION = 1;

/** Whether a log that declares this version can be read. */
export function isReadableSchemaVersion(version: unknown): version is number {
  return (
    typeof version === 'number' &&
    Number.isInteger(version) &&
    version >= OLDEST_READABLE_SCHEMA_VERSION &&
    version <= TRAJECTORY_SCHEMA_VERSION
  );
}

/** A version 1 turn's fields in today's names; anything else is left for the schema check to judge. */
export function upgradeTurn(turn: unknown, version: number): unknown {
  if (version >= 2 || !isObject(turn) || !('rewards' in turn)) return turn;
  const { rewards, ...rest } = turn;
  return { ...rest, signals: rewards };
}

/** One parsed log line written under `version`, as a line of the current version. */
export function upgradeLine(line: unknown, version: number): unknown {
  if (version >= TRAJECTORY_SCHEMA_VERSION || !isObject(line)) return line;
  if (line.type === 'run_started') return { ...line, schema_version: TRAJECTORY_SCHEMA_VERSION };
  if (line.type === 'turn') return { ...line, turn: upgradeTurn(line.turn, version) };
  return line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
