/**
 * Pythons for `ROLLOUT_HARNESS_PYTHON`, as a user's would be: one where Multi-SWE-bench's harness is importable (a
 * stand-in for it that gives back what the real harness read in recorded logs), and one where no harness is.
 */

import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HARNESS_RECORDING = join(process.cwd(), 'test', 'fixtures', 'multi-swe-bench', 'harness-readings.json');
const STAND_IN = join(process.cwd(), 'test', 'fixtures', 'multi-swe-bench', 'harness-stand-in');

function pythonScript(name: string, body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-python-')), name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

export function pythonWithHarness(): string {
  return pythonScript('python-with-harness', `PYTHONPATH='${STAND_IN}' exec python3 "$@"`);
}

/** Python without its site folders: no harness, wherever one may be installed on the machine. */
export function pythonWithoutHarness(): string {
  return pythonScript('python-without-harness', 'exec python3 -S "$@"');
}

/** Runs `action` with `ROLLOUT_HARNESS_PYTHON` naming `python`, and puts back what it named before. */
export async function withHarnessPython<T>(python: string, action: () => Promise<T>): Promise<T> {
  const earlier = process.env.ROLLOUT_HARNESS_PYTHON;
  process.env.ROLLOUT_HARNESS_PYTHON = python;
  try {
    return await action();
  } finally {
    if (earlier === undefined) delete process.env.ROLLOUT_HARNESS_PYTHON;
    else process.env.ROLLOUT_HARNESS_PYTHON = earlier;
  }
}
