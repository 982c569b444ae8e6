import { createHash } from 'node:crypto';

/** A held-out split, e.g. `val=0.1`: about that fraction of tasks (never of runs) goes to it. */
export interface SplitSpec {
  name: string;
  fraction: number;
}

export const TRAIN = 'train';

export function parseSplit(text: string): SplitSpec {
  const match = /^([A-Za-z][A-Za-z0-9_-]*)=(0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.exec(text.trim());
  if (!match) throw new Error(`--split: expected NAME=FRACTION such as val=0.1, got '${text}'`);
  const fraction = Number(match[2]);
  if (!(fraction > 0 && fraction < 1))
    throw new Error(`--split: the fraction must be between 0 and 1 (exclusive), got ${match[2]}`);
  if (match[1] === TRAIN)
    throw new Error(`--split: '${TRAIN}' is the name of the remaining split; name the held-out one, e.g. val=0.1`);
  return { name: match[1], fraction };
}

/**
 * The split a task belongs to, decided by a hash of the task id alone: every attempt at a task lands in
 * the same split, the choice is stable across exports, and no pass over the data is needed to make it.
 */
export function splitOf(taskId: string, split: SplitSpec | undefined): string {
  if (!split) return TRAIN;
  const bucket = createHash('sha256').update(taskId).digest().readUInt32BE(0) / 0x1_0000_0000;
  return bucket < split.fraction ? split.name : TRAIN;
}
