/**
 * SWE-rebench-V2's own log parsers, read from the user's checkout of its harness (SWE-rebench/SWE-rebench-V2, which
 * is not a package): 76 parsers across 20 languages, named by each row's `install_config.log_parser`. A bundled
 * script imports them in the Python `ROLLOUT_HARNESS_PYTHON` names, from the checkout `ROLLOUT_SWE_REBENCH_V2` names,
 * as the harness's `scripts/eval.py` imports them, and reads logs with the row's parser.
 *
 * The log they read is the harness's: the standard output of its evaluation script followed by its standard error
 * (`sweRebenchV2Source.ts` writes the test command that keeps them apart and prints them between two marker lines),
 * with line ends as Python's text mode reads them. Test names lose the timing suffixes the harness strips, on both
 * sides, before they are compared (`withoutTimings`).
 */

import type { Task } from '../task/task';
import { HARNESS_MISSING, HarnessError, harnessProcess, harnessPython, type InstalledHarness } from './harnessProcess';
import type { LogParserName } from './logParsers/index';
import { universalNewlines } from './logParsers/text';
import { LogParseError, type HarnessReadings, type StatusMap } from './testStatus';

/** The log parser that defers to SWE-rebench-V2's: a task's test logs are read there before grading. */
export const SWE_REBENCH_V2_LOG_PARSER: LogParserName = 'swe_rebench_v2_harness';

const SCRIPT = 'read_swe_rebench_v2_logs.py';

/** What to do where the harness's parsers cannot be read. */
export const V2_INSTALL =
  'clone https://github.com/SWE-rebench/SWE-rebench-V2 and set ROLLOUT_SWE_REBENCH_V2 to that folder ' +
  '(ROLLOUT_HARNESS_PYTHON names the Python 3.10+ to import it with)';

/** The lines around the harness's log in a test output: its standard output, then its standard error. */
export const SWE_REBENCH_V2_LOG_MARKERS = {
  start: '<<ROLLOUT_SWE_REBENCH_V2_LOG',
  end: 'ROLLOUT_SWE_REBENCH_V2_LOG>>',
};

/** A log as the harness wrote it, in a test output: between the markers sweRebenchV2Log reads it by. */
export function asSweRebenchV2Output(log: string): string {
  const { start, end } = SWE_REBENCH_V2_LOG_MARKERS;
  return `${start}\n${log}\n${end}\n`;
}

/**
 * The harness's log in a test output, as its parsers get it; undefined where the markers are missing. The end marker
 * follows a newline of its own, so the log's own last line is kept as it was.
 */
export function sweRebenchV2Log(testOutput: string): string | undefined {
  const start = `${SWE_REBENCH_V2_LOG_MARKERS.start}\n`;
  const from = testOutput.lastIndexOf(start);
  if (from < 0) return undefined;
  const to = testOutput.indexOf(`\n${SWE_REBENCH_V2_LOG_MARKERS.end}`, from + start.length - 1);
  if (to < 0) return undefined;
  return universalNewlines(testOutput.slice(from + start.length, to));
}

/**
 * Python's whitespace (`\s` of a str pattern, `str.strip`): JavaScript's but for U+FEFF, and with the separators
 * U+001C–U+001F and U+0085. Its digits are every decimal digit, its word characters every letter and digit.
 */
const SPACE = String.raw`(?:[^\S\uFEFF]|[\x1C-\x1F\x85])`;
const DIGIT = String.raw`\p{Nd}`;
const NUMBER = `${DIGIT}+(?:\\.${DIGIT}+)?`;

/** Suffixes some runners put on test names (`[1.34 ms]`, ` in 29.08 msec`, `(1.234s)`), which the harness strips. */
const TIMINGS = [
  `${SPACE}*\\[${SPACE}*${NUMBER}${SPACE}*(?:ms|s)${SPACE}*\\]${SPACE}*$`,
  `${SPACE}+in${SPACE}+${NUMBER}${SPACE}+(?:msec|sec)(?![\\p{L}\\p{N}_])`,
  `${SPACE}*\\(${SPACE}*${NUMBER}${SPACE}*(?:ms|s)${SPACE}*\\)${SPACE}*$`,
].map((pattern) => new RegExp(pattern, 'giu'));
const ENDS = new RegExp(`^${SPACE}+|${SPACE}+$`, 'gu');

/** A test name as the harness compares it: every timing suffix removed, pattern by pattern, then the ends stripped. */
export function withoutTimings(name: string): string {
  let stripped = name;
  for (const timing of TIMINGS) stripped = stripped.replace(timing, '');
  return stripped.replace(ENDS, '');
}

function checkout(): string {
  return process.env.ROLLOUT_SWE_REBENCH_V2 ?? '';
}

function v2Harness() {
  return harnessProcess(SCRIPT, checkout());
}

/** The V2 harness in the user's checkout; rejects where it is not usable. */
export function installedV2Harness(): Promise<InstalledHarness> {
  return v2Harness().installed;
}

function parserOf(task: Task): string {
  if (!task.sweRebenchV2Parser)
    throw new Error(`task ${task.id}: the log parser ${SWE_REBENCH_V2_LOG_PARSER} reads SWE-rebench-V2 rows only`);
  return task.sweRebenchV2Parser;
}

/**
 * Throws, naming what to do, unless the user's checkout has the task's parser: a run checks this before it starts
 * the task, so that no rollout is made that cannot be graded.
 */
export async function requireV2Parser(task: Task): Promise<void> {
  const name = parserOf(task);
  let names: Set<string>;
  try {
    ({ names } = await installedV2Harness());
  } catch (error) {
    throw new Error(
      `task ${task.id}: its test logs are read by SWE-rebench-V2's parser ${name}, which cannot be read: ${(error as Error).message}; ${V2_INSTALL}`,
    );
  }
  if (!names.has(name))
    throw new Error(`task ${task.id}: the SWE-rebench-V2 checkout ${checkout()} has no parser ${name}; update it`);
}

type Reading = { tests: [string, string][] } | { error: string };
type Answer = { readings: Reading[] } | { unknown: string };

/** A parser's reading as the harness compares it: names without timings, a later name overwriting an earlier. */
function statusMap(reading: Reading): StatusMap | LogParseError {
  if ('error' in reading) return new LogParseError(`SWE-rebench-V2's parser refused the log: ${reading.error}`);
  return new Map(reading.tests.map(([name, status]) => [withoutTimings(name), status]));
}

/** Each of `logs` (harness logs, sweRebenchV2Log) read by the task's SWE-rebench-V2 parser. */
export async function readWithV2Harness(task: Task, logs: string[]): Promise<HarnessReadings> {
  const unread = (why: string) =>
    new Error(`task ${task.id}: SWE-rebench-V2's parsers could not read its logs: ${why}`);
  let answer: Answer;
  try {
    answer = await v2Harness().ask<Answer>({ parser: parserOf(task), logs });
  } catch (error) {
    const code = error instanceof HarnessError ? error.exitCode : null;
    throw unread(code === HARNESS_MISSING ? `no checkout to import (${V2_INSTALL})` : (error as Error).message);
  }
  if ('unknown' in answer) throw unread(`${answer.unknown} in ${checkout()} (Python: ${harnessPython()})`);
  return new Map(logs.map((log, index) => [log, statusMap(answer.readings[index])]));
}
