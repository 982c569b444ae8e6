/** How a run of the run index reads in the trees: pure, no vscode, so that the wording is unit-tested. */
import type { RunIndexEntry } from '../../core/trajectory/runIndex';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The outcome first (a narrow view cuts the end of a description): reward, status, turns. */
export function describeRun(entry: RunIndexEntry): string {
  const reward =
    entry.reward === undefined
      ? undefined
      : entry.reward === null
        ? 'reward n/a'
        : `reward ${formatReward(entry.reward)}`;
  const turns = entry.turns === undefined ? undefined : `${entry.turns} turns`;
  return [reward, entry.status, turns].filter(Boolean).join(' · ');
}

/**
 * A row of the Runs view: the task, then what tells its runs apart — outcome, attempt (counted from 1; the run
 * files count from 0), policy and start time — and everything in the tooltip.
 */
export function runRow(
  entry: RunIndexEntry,
  now: Date,
  stale: boolean,
): { label: string; description: string; tooltip: string } {
  const outcome = stale ? 'not finished (no rollout is recording it here)' : describeRun(entry);
  const started = new Date(entry.started_at);
  return {
    label: entry.task_id,
    description: [outcome, `attempt ${entry.attempt + 1}`, entry.policy, formatStartTime(started, now)].join(' · '),
    tooltip: [
      entry.run_id,
      `${outcome}`,
      `attempt ${entry.attempt + 1} · policy ${entry.policy}`,
      `started ${started.toString()}`,
      ...(entry.ended_at ? [`ended ${new Date(entry.ended_at).toString()}`] : []),
    ].join('\n'),
  };
}

/** `14:03` today, `2 Dec 14:03` this year, `2 Dec 2025` before; local time. */
export function formatStartTime(started: Date, now: Date): string {
  if (Number.isNaN(started.getTime())) return 'start time unknown';
  const clock = `${pad(started.getHours())}:${pad(started.getMinutes())}`;
  const day = `${started.getDate()} ${MONTHS[started.getMonth()]}`;
  if (started.getFullYear() !== now.getFullYear()) return `${day} ${started.getFullYear()}`;
  if (started.getMonth() === now.getMonth() && started.getDate() === now.getDate()) return clock;
  return `${day} ${clock}`;
}

function formatReward(reward: number): string {
  return Number.isInteger(reward) ? String(reward) : reward.toFixed(2);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
