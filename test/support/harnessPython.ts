/**
 * Pythons for `ROLLOUT_HARNESS_PYTHON`, as a user's would be: one where Multi-SWE-bench's harness is importable (a
 * stand-in for it that gives back what the real harness read in recorded logs), and one where no harness is.
 */

import { appendFileSync, chmodSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HARNESS_RECORDING = join(process.cwd(), 'test', 'fixtures', 'multi-swe-bench', 'harness-readings.json');
export const HARNESS_STAND_IN = join(process.cwd(), 'test', 'fixtures', 'multi-swe-bench', 'harness-stand-in');

function pythonScript(name: string, body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-python-')), name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

interface HarnessPythonOptions {
  standIn?: string;
  startLog?: string;
  diesOnFirstReading?: boolean;
}

/**
 * Python where the stand-in harness (or a copy, `standIn`) imports. `startLog` gets a line each time it starts; `diesOnFirstReading`: it
 * exits (status 9) on the first logs it is asked to read, as a harness killed while reading would, and reads on
 * every later start.
 */
export function pythonWithHarness(options: HarnessPythonOptions = {}): string {
  const paths = [options.standIn ?? HARNESS_STAND_IN];
  if (options.diesOnFirstReading) paths.push(dyingOnFirstReading());
  const log = options.startLog ? `echo started >> '${options.startLog}'\n` : '';
  return pythonScript('python-with-harness', `${log}PYTHONPATH='${paths.join(':')}' exec python3 "$@"`);
}

/** A folder whose sitecustomize makes Python exit when it first parses a request with logs in it. */
function dyingOnFirstReading(): string {
  const folder = mkdtempSync(join(tmpdir(), 'rollout-python-'));
  const died = join(folder, 'died');
  writeFileSync(
    join(folder, 'sitecustomize.py'),
    [
      'import json, os',
      '_loads = json.loads',
      'def _dying_loads(text, *args, **kwargs):',
      '    value = _loads(text, *args, **kwargs)',
      `    if isinstance(value, dict) and "logs" in value and not os.path.exists(${JSON.stringify(died)}):`,
      `        open(${JSON.stringify(died)}, "w").close()`,
      '        os._exit(9)',
      '    return value',
      'json.loads = _dying_loads',
      '',
    ].join('\n'),
  );
  return folder;
}

/** A copy of the stand-in harness with one of its parsers edited (a comment added), as a fixed release would be. */
export function standInWithParserEdited(): string {
  // The stand-in finds its recording beside it: a copy of both.
  const copy = mkdtempSync(join(tmpdir(), 'rollout-harness-'));
  const standIn = join(copy, 'harness-stand-in');
  cpSync(HARNESS_STAND_IN, standIn, { recursive: true });
  cpSync(HARNESS_RECORDING, join(copy, 'harness-readings.json'));
  appendFileSync(join(standIn, 'multi_swe_bench', 'harness', 'repos', 'example.py'), '# a parser fixed\n');
  return standIn;
}

/** Python without its site folders: no harness, wherever one may be installed on the machine. */
export function pythonWithoutHarness(): string {
  return pythonScript('python-without-harness', 'exec python3 -S "$@"');
}

/** Runs `action` with the variable `name` set to `value` (unset for undefined), and puts back what it was before. */
export async function withEnvironmentVariable<T>(
  name: string,
  value: string | undefined,
  action: () => Promise<T>,
): Promise<T> {
  const earlier = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await action();
  } finally {
    if (earlier === undefined) delete process.env[name];
    else process.env[name] = earlier;
  }
}

/** Runs `action` with `ROLLOUT_HARNESS_PYTHON` naming `python`, and puts back what it named before. */
export function withHarnessPython<T>(python: string, action: () => Promise<T>): Promise<T> {
  return withEnvironmentVariable('ROLLOUT_HARNESS_PYTHON', python, action);
}
