// Runs a program with a temporary folder of its own, removed once it has ended, passed, failed or crashed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary folder the program and the processes it starts make goes under one folder, removed afterwards.
 * What the program could not clean up (a CLI the fault suite kills, a run that fails half way) goes with it, so that
 * runs do not pile up in the system's temporary folder. Stopping this script itself (Ctrl-C) skips the removal.
 * Returns the program's exit status.
 */
export function runWithScratchTmp(prefix, args) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: scratch } });
  try {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.error(`could not remove the temporary folder ${scratch}: ${error.message}`);
  }
  return result.status ?? 1;
}
