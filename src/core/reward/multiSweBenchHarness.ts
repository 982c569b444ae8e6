/**
 * Multi-SWE-bench's own log parsers, run in the harness the user installed (`pip install multi-swe-bench`), for
 * the rows no parser here reads as the harness does: Multi-SWE-RL's pull-request ranges and releases, whose
 * harness registers a parser written for each (1,800 of them). A bundled script imports the harness in the Python
 * that `ROLLOUT_HARNESS_PYTHON` names (`python3` when unset) and reads logs with the parser it picks for the row.
 */

import { multiSweBenchHarnessName } from '../task/multiSweBenchSource';
import type { HarnessPullRequest, Task } from '../task/task';
import {
  HARNESS_MISSING,
  HarnessError,
  harnessProcess as harnessProcessOf,
  harnessPython,
  type HarnessProcess,
  type InstalledHarness,
} from './harnessProcess';
import type { LogParserName } from './logParsers/index';
import { LogParseError, type HarnessReadings, type StatusMap } from './testStatus';

export type { HarnessIdentity } from './harnessProcess';

/** The log parser that defers to the harness: a task's test logs are read there before grading. */
export const HARNESS_LOG_PARSER: LogParserName = 'mswebench_harness';

type Answer = { readings: Reading[] } | { unregistered: string };

/** What to do where the harness is not usable. */
export const INSTALL = 'install it (pip install multi-swe-bench; ROLLOUT_HARNESS_PYTHON names the Python it is in)';

/** The harness in the Python `ROLLOUT_HARNESS_PYTHON` names, started where none is running there. */
function harnessProcess(): HarnessProcess {
  return harnessProcessOf('read_mswebench_logs.py');
}

/** The harness installed in the Python `ROLLOUT_HARNESS_PYTHON` names; rejects where it is not usable. */
export function installedHarness(): Promise<InstalledHarness> {
  return harnessProcess().installed;
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
    ({ names } = await installedHarness());
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
  const unread = (why: string) =>
    new Error(`task ${task.id}: Multi-SWE-bench's harness could not read its test logs: ${why}`);
  let answer: Answer;
  try {
    answer = await harnessProcess().ask<Answer>({ pull_request: pullRequestOf(task), logs });
  } catch (error) {
    const code = error instanceof HarnessError ? error.exitCode : null;
    throw unread(code === HARNESS_MISSING ? 'the harness is not installed' : (error as Error).message);
  }
  if ('unregistered' in answer) throw unread(answer.unregistered);
  return new Map(logs.map((log, index) => [log, statusMap(answer.readings[index])]));
}
