/**
 * Whole-file writes that a crash cannot leave half done: the new content goes to a temporary file in the same
 * folder, is flushed to disk, and replaces the old file by a rename, whose folder entry is flushed too. A
 * reader sees the old file or the new one, never a mix, even after the machine loses power.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * `locked`: the caller holds the file's lock, so one temporary name serves, and one a killed writer left
 * behind is simply written over (otherwise each write gets its own).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { locked?: boolean } = {},
): Promise<void> {
  const folder = dirname(path);
  const unique = options.locked ? '' : `.${process.pid}.${randomBytes(4).toString('hex')}`;
  const temporary = join(folder, `.${basename(path)}${unique}.tmp`);
  try {
    const handle = await open(temporary, options.locked ? 'w' : 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw fileWriteError(path, error);
  }
  await syncFolder(folder);
}

/**
 * A failed write named by the file it was for: Node's message for a failed write (a full disk's ENOSPC) names no
 * file, and one for the temporary file names that. The error's code is kept.
 */
export function fileWriteError(path: string, error: unknown): NodeJS.ErrnoException {
  const cause = error as NodeJS.ErrnoException;
  const reason = cause.code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : cause.message;
  return Object.assign(new Error(`cannot write ${path}: ${reason}`, { cause: error }), { code: cause.code });
}

/** Flushes a folder's entries, so that a rename in it survives a crash. */
export async function syncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder as a file; its rename is durable once it returns.
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
