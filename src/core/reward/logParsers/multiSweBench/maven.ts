/**
 * Multi-SWE-bench's readings of Maven Surefire: a test class is known by its summary line (`Tests run: N,
 * Failures: F, Errors: E, Skipped: S, Time elapsed: T s - in CLASS`) or by its `Running CLASS` line.
 */

import type { LogParser } from '../../testStatus';
import { lines, splitLines } from '../text';
import { TestResultSets } from './testResult';

const CLASS_SUMMARY =
  /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+), Time elapsed: [\d.]+ .+? in (.+)/;
// The harness's pattern: CSI sequences ending in m or K whose parameters are digits, `;` and `:`-`?`.
const COLOUR = /\x1B\[[0-?9;]*[mK]/g;

/**
 * A test class by its counts (tests run, failures, errors, skipped): passed when it ran tests and none failed or erred
 * and not all were skipped, failed when any failed or erred, skipped when all were skipped.
 */
function addByCounts(result: TestResultSets, testClass: string, counts: string[]): void {
  const [run, failures, errors, skipped] = counts.map(Number);
  if (run > 0 && failures === 0 && errors === 0 && skipped !== run) result.passed.add(testClass);
  else if (failures > 0 || errors > 0) result.failed.add(testClass);
  else if (skipped === run) result.skipped.add(testClass);
}

function mavenParser(withoutColour: boolean): LogParser {
  return (log) => {
    const result = new TestResultSets();
    for (const line of splitLines(withoutColour ? log.replace(COLOUR, '') : log)) {
      const match = CLASS_SUMMARY.exec(line);
      if (!match) continue;
      addByCounts(result, match[5], match.slice(1, 5));
    }
    return result.toStatusMap();
  };
}

/** Summary lines read once colour codes are taken out. */
export const parseMultiSweBenchMaven = mavenParser(true);

/** Summary lines read as printed: a coloured one does not match. */
export const parseMultiSweBenchMavenUncoloured = mavenParser(false);

const RUNNING = /\[INFO\] Running ([^\n]+)/;

/**
 * Surefire's `[INFO] Running CLASS` lines, each class judged by the very next line: failed when it holds
 * `[ERROR] Tests run`, passed whatever else it says.
 */
export const parseMultiSweBenchMavenRunningLine: LogParser = (log) => {
  const result = new TestResultSets();
  let running: string | undefined;
  for (const line of lines(log)) {
    if (running === undefined) {
      running = RUNNING.exec(line)?.[1];
      continue;
    }
    result[line.includes('[ERROR] Tests run') ? 'failed' : 'passed'].add(running);
    running = undefined;
  }
  return result.toStatusMap();
};

// `.` as Python's (any character but a newline); the harness matches the whole log, not line by line.
const RUNNING_THEN_SUMMARY =
  /Running\s+([^\n]+?)\s*\n(?:(?!Tests run:)[^\n]*\n)*Tests run:\s*(\d+),\s*Failures:\s*(\d+),\s*Errors:\s*(\d+),\s*Skipped:\s*(\d+),\s*Time elapsed:\s*[\d.]+\s*sec/g;
const RUNNING_THEN_FAILURE =
  /Running ([^\n]+?)\nTests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+), Time elapsed: [\d.]+ sec +<<< FAILURE!/g;
// The harness passes `re.MULTILINE` (8) where `findall` takes the position to start from.
const SEARCH_FROM = 8;

function matchesFrom(pattern: RegExp, log: string): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  pattern.lastIndex = SEARCH_FROM;
  for (let match = pattern.exec(log); match; match = pattern.exec(log)) found.push(match);
  return found;
}

/**
 * Surefire 2's `Running CLASS` line and the first `Tests run: …, Time elapsed: T sec` after it, judged as the
 * summary lines are; a class whose summary line right after `Running` says `<<< FAILURE!` failed. The log is read
 * from its ninth character on, as the harness reads it.
 */
export const parseMultiSweBenchMavenRunningSummary: LogParser = (log) => {
  const result = new TestResultSets();
  for (const match of matchesFrom(RUNNING_THEN_SUMMARY, log)) addByCounts(result, match[1], match.slice(2, 6));
  for (const match of matchesFrom(RUNNING_THEN_FAILURE, log)) result.failed.add(match[1]);
  return result.toStatusMap();
};
