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

/** Whether a sandbox path is a file or a folder, and its permission bits (octal string, e.g. `755`). */
export async function statPath(sandbox: Sandbox, absolutePath: string): Promise<{ kind: PathKind; mode?: string }> {
  const p = shellQuote(absolutePath);
  const result = await sandbox.exec(
    `if [ -d ${p} ]; then echo directory; elif [ -f ${p} ]; then echo "file $(stat -c %a ${p})"; elif [ -e ${p} ]; then echo other; else echo missing; fi`,
    { timeoutMs: 30_000 },
  );
  const [kind, mode] = result.stdout.trim().split(' ');
  if (result.exitCode !== 0 || !['file', 'directory', 'missing', 'other'].includes(kind)) {
    throw new Error(
      `could not inspect ${absolutePath} in the sandbox (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  return { kind: kind as PathKind, mode };
}

/** True when the bytes look like a binary file (a NUL byte near the start, as git and grep decide). */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
