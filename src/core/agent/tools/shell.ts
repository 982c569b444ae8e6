/** Helpers for building shell commands and paths inside the sandbox. */
import { posix } from 'node:path';
import type { Sandbox } from '../../sandbox/sandbox';
import { shellQuote } from '../../shellWords';

/** A path the model gave, relative to the repository root or absolute, as an absolute sandbox path. */
export function resolveInSandbox(workdir: string, path: string): string {
  return posix.resolve(workdir, path);
}

/** An absolute sandbox path as the model should see it: relative to the repository root when inside it. */
export function displayPath(workdir: string, absolutePath: string): string {
  const relative = posix.relative(workdir, absolutePath);
  if (relative === '') return '.';
  return relative.startsWith('..') ? absolutePath : relative;
}

export type PathKind = 'file' | 'directory' | 'missing' | 'other';

/** Whether a sandbox path is a file, a folder, something else or nothing. */
export async function statPath(sandbox: Sandbox, absolutePath: string): Promise<PathKind> {
  const p = shellQuote(absolutePath);
  const result = await sandbox.exec(
    `if [ -d ${p} ]; then echo directory; elif [ -f ${p} ]; then echo file; elif [ -e ${p} ]; then echo other; else echo missing; fi`,
    { timeoutMs: 30_000 },
  );
  const kind = result.stdout.trim();
  if (result.exitCode !== 0 || !['file', 'directory', 'missing', 'other'].includes(kind)) {
    throw new Error(
      `could not inspect ${absolutePath} in the sandbox (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  return kind as PathKind;
}

/** True when the bytes look like a binary file (a NUL byte near the start, as git and grep decide). */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
