/**
 * Multi-SWE-bench's reading of Maven Surefire: a test class is known by its summary line (`Tests run: N,
 * Failures: F, Errors: E, Skipped: S, Time elapsed: T s - in CLASS`): passed when it ran tests and none failed
 * or erred and not all were skipped, failed when any failed or erred, skipped when all were skipped.
 */

import type { LogParser } from '../../testStatus';
import { lines, splitLines } from '../text';
import { TestResultSets } from './testResult';

const CLASS_SUMMARY =
  /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+), Time elapsed: [\d.]+ .+? in (.+)/;
// The harness's pattern: CSI sequences ending in m or K whose parameters are digits, `;` and `:`-`?`.
const COLOUR = /\x1B\[[0-?9;]*[mK]/g;

function mavenParser(withoutColour: boolean): LogParser {
  return (log) => {
    const result = new TestResultSets();
    for (const line of splitLines(withoutColour ? log.replace(COLOUR, '') : log)) {
      const match = CLASS_SUMMARY.exec(line);
      if (!match) continue;
      const [run, failures, errors, skipped] = match.slice(1, 5).map(Number);
      const testClass = match[5];
      if (run > 0 && failures === 0 && errors === 0 && skipped !== run) result.passed.add(testClass);
      else if (failures > 0 || errors > 0) result.failed.add(testClass);
      else if (skipped === run) result.skipped.add(testClass);
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
