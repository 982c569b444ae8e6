import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * A process as others find it: its machine and process id. Recorded on what a process leaves while it works
 * (containers, snapshot images, lock files, running runs in the run index), so another process can tell whether
 * the owner is still at it.
 */
export interface ProcessOwner {
  host: string;
  pid: number;
  /** When it started (`processStart`), where that was recorded: tells it from a later process given the same pid. */
  start?: string;
}

/** This process's `processStart`, once read (null: not read yet; undefined: /proc does not say). */
let ownStart: string | undefined | null = null;

/** This process as others find it, its start included where /proc says it (read once: it never changes). */
export function thisProcess(): ProcessOwner {
  if (ownStart === null) ownStart = processStart(process.pid);
  return { host: hostname(), pid: process.pid, ...(ownStart ? { start: ownStart } : {}) };
}

/**
 * True when the owner ran on this machine and its process no longer exists, or (where its start was recorded) its
 * pid now belongs to a process that started at another time; an owner elsewhere cannot be checked.
 */
export function ownerIsGone(owner: ProcessOwner): boolean {
  if (owner.host !== hostname() || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (owner.start === undefined) return false;
  const start = processStart(owner.pid);
  return start !== undefined && start !== owner.start;
}

let bootId: string | undefined;

/**
 * When the process `pid` started, as the clock tick since boot and the boot's id, from Linux's /proc: a pid names
 * another process once its owner is gone (a worker restarted in its own container is PID 1 again, and pids are
 * reused), but no two processes of one boot start at the same tick with the same pid. The tick is counted from the
 * machine's boot in every pid namespace, so it holds inside containers. Undefined where /proc does not say (not
 * Linux, or no such process).
 */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
  // The command name, in parentheses, may hold spaces and parentheses: the fields are counted after its last `)`,
  // where field 3 (state) comes first and field 22 is the start time.
  const ticks = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .at(22 - 3);
  return ticks && /^\d+$/.test(ticks) ? `${ticks}@${bootId}` : undefined;
}
