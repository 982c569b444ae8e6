/**
 * Turns at rewriting a shared file: a lock file beside it, created exclusively, naming its owner. Within a
 * process the turns are a queue; across processes (and machines sharing a folder) the lock file decides. A
 * lock whose owner on this machine has died (its pid gone, or now another process's) is broken at once; one held
 * longer than any rewrite takes is broken as abandoned.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownerIsGone, thisProcess, type ProcessOwner } from './processOwner';

/** Rewrites under a lock take milliseconds; a lock this old was left by a process that stopped holding it. */
const ABANDONED_MS = 60_000;
/** How long to wait for a turn before giving up with an error that names the lock. */
const WAIT_MS = 120_000;

const queues = new Map<string, Promise<unknown>>();

/** Runs `action` while holding the lock of `path` (the file `path.lock`). */
export function withFileLock<T>(path: string, action: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const turn = previous.catch(() => undefined).then(() => holding(path, action));
  const settled = turn.catch(() => undefined);
  queues.set(path, settled);
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return turn;
}

async function holding<T>(path: string, action: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const { host, pid, start } = thisProcess();
  const owner = `${host} ${pid} ${randomBytes(6).toString('hex')}${start ? ` start=${start}` : ''}`;
  await acquire(lock, owner);
  try {
    return await action();
  } finally {
    await release(lock, owner);
  }
}

async function acquire(lock: string, owner: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(lock, owner, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(lock);
    if (held && held.abandoned) await breakLock(lock, held.owner);
    else if (Date.now() > deadline)
      throw new Error(`${lock} is held by ${held?.owner ?? 'another process'}; remove it if no rollout is running`);
    else await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
  }
}

async function readLock(lock: string): Promise<{ owner: string; abandoned: boolean } | undefined> {
  try {
    const [owner, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    const holder = lockOwner(owner);
    const gone = holder !== undefined && ownerIsGone(holder);
    return { owner, abandoned: gone || Date.now() - info.mtimeMs > ABANDONED_MS };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The process a lock file names: `HOST PID NONCE [start=START]` (locks before the start was recorded lack it). */
function lockOwner(text: string): ProcessOwner | undefined {
  const [host, pid, , ...rest] = text.split(' ');
  if (!/^\d+$/.test(pid ?? '')) return undefined;
  const start = rest.find((field) => field.startsWith('start='))?.slice('start='.length);
  return { host, pid: Number(pid), ...(start ? { start } : {}) };
}

/** Moves an abandoned lock aside (only one breaker can), and puts it back if it turned out to be a fresh one. */
async function breakLock(lock: string, abandonedOwner: string): Promise<void> {
  const aside = `${lock}.${randomBytes(6).toString('hex')}.broken`;
  try {
    await rename(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => abandonedOwner);
  // A link, unlike a rename, never replaces a lock taken in the meantime.
  if (moved !== abandonedOwner) await link(aside, lock).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function release(lock: string, owner: string): Promise<void> {
  const held = await readFile(lock, 'utf8').catch(() => undefined);
  if (held === owner) await unlink(lock).catch(() => undefined);
}
