/**
 * Multi-SWE-bench's own log parsers, run in the harness the user installed (`pip install multi-swe-bench`), for
 * the rows no parser here reads as the harness does: Multi-SWE-RL's pull-request ranges and releases, whose
 * harness registers a parser written for each (1,800 of them). A bundled script imports the harness in the Python
 * that `ROLLOUT_HARNESS_PYTHON` names (`python3` when unset) and reads logs with the parser it picks for the row.
 */

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../paths';
import { multiSweBenchHarnessName } from '../task/multiSweBenchSource';
import type { HarnessPullRequest, Task } from '../task/task';
import type { LogParserName } from './logParsers/index';
import { LogParseError, type HarnessReadings, type StatusMap } from './testStatus';

/** The log parser that defers to the harness: a task's test logs are read there before grading. */
export const HARNESS_LOG_PARSER: LogParserName = 'mswebench_harness';

/** The exit status of the script where the harness does not import. */
const HARNESS_MISSING = 3;

export function harnessPython(): string {
  return process.env.ROLLOUT_HARNESS_PYTHON || 'python3';
}

function script(): string {
  return join(packageRoot(), 'sandbox', 'harness', 'read_mswebench_logs.py');
}

class HarnessError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** Runs the bundled script; rejects with its own words where it exits non-zero. */
function runScript(command: 'registered' | 'parse', input = ''): Promise<string> {
  const python = harnessPython();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script(), command], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new HarnessError(`cannot run ${python}: ${error.message}`, null)));
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      const words = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3).join(' ');
      reject(new HarnessError(`${python} exited ${code}: ${words || 'no message'}`, code));
    });
    // A script that died before reading all of its input reports through its exit status, not through EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** What to do where the harness is not usable. */
export const INSTALL = 'install it (pip install multi-swe-bench; ROLLOUT_HARNESS_PYTHON names the Python it is in)';

let registered: { python: string; names: Promise<Set<string>> } | undefined;

/** The names the installed harness registers parsers under, asked once per Python. */
export function registeredNames(): Promise<Set<string>> {
  const python = harnessPython();
  if (registered?.python !== python) {
    const names = runScript('registered').then(
      (out) => new Set<string>((JSON.parse(out) as { names: string[] }).names),
    );
    registered = { python, names };
    names.catch(() => (registered = undefined));
  }
  return registered.names;
}

/** The name the harness registers the task's parser under. */
export function harnessName(task: Task): string {
  return multiSweBenchHarnessName(pullRequestOf(task));
}

function pullRequestOf(task: Task): HarnessPullRequest {
  if (!task.harnessPullRequest)
    throw new Error(`task ${task.id}: the log parser ${HARNESS_LOG_PARSER} reads Multi-SWE-bench rows only`);
  return task.harnessPullRequest;
}

/**
 * Throws, naming what to do, unless the installed harness has a parser for `task`: a run checks this before it
 * starts the task, so that no rollout is made that cannot be graded.
 */
export async function requireHarnessParser(task: Task): Promise<void> {
  const name = harnessName(task);
  const orSpec = `or pass --specs FILE with a test_framework for ${name} (docs/instances.md)`;
  let names: Set<string>;
  try {
    names = await registeredNames();
  } catch (error) {
    throw new Error(
      `task ${task.id}: its test logs are read by Multi-SWE-bench's own parser for ${name}, and the harness is not usable: ${(error as Error).message}; ${INSTALL}, ${orSpec}`,
    );
  }
  if (!names.has(name))
    throw new Error(
      `task ${task.id}: Multi-SWE-bench's harness in ${harnessPython()} registers no parser for ${name}; ${orSpec}`,
    );
}

interface Reading {
  passed?: string[];
  failed?: string[];
  skipped?: string[];
  error?: string;
}

function statusMap(reading: Reading): StatusMap | LogParseError {
  if (reading.error !== undefined)
    return new LogParseError(`Multi-SWE-bench's parser refused the log: ${reading.error}`);
  const statuses: StatusMap = new Map();
  // The harness's result keeps the three sets apart (it refuses one where they meet), so the order is moot.
  for (const [tests, status] of [
    [reading.passed, 'PASSED'],
    [reading.failed, 'FAILED'],
    [reading.skipped, 'SKIPPED'],
  ] as const)
    for (const test of tests ?? []) statuses.set(test, status);
  return statuses;
}

/** Each of `logs` read by the parser the installed harness picks for `task`'s pull request. */
export async function readWithHarness(task: Task, logs: string[]): Promise<HarnessReadings> {
  const request = JSON.stringify({ pull_request: pullRequestOf(task), logs });
  let out: string;
  try {
    out = await runScript('parse', request);
  } catch (error) {
    const code = error instanceof HarnessError ? error.exitCode : null;
    const why = code === HARNESS_MISSING ? 'the harness is not installed' : (error as Error).message;
    throw new Error(`task ${task.id}: Multi-SWE-bench's harness could not read its test logs: ${why}`);
  }
  const { readings } = JSON.parse(out) as { readings: Reading[] };
  return new Map(logs.map((log, index) => [log, statusMap(readings[index])]));
}
