import { hostname } from 'node:os';

/**
 * A process as others find it: its machine and process id. Recorded on what a process leaves while it works
 * (containers, snapshot images, lock files, running runs in the run index), so another process can tell whether
 * the owner is still at it.
 */
export interface ProcessOwner {
  host: string;
  pid: number;
}

export function thisProcess(): ProcessOwner {
  return { host: hostname(), pid: process.pid };
}

/** True when the owner ran on this machine and its process no longer exists; an owner elsewhere cannot be checked. */
export function ownerIsGone(owner: ProcessOwner): boolean {
  if (owner.host !== hostname() || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
