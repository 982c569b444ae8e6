/**
 * Multi-SWE-bench's reading of Gradle's console: tasks (`> Task :path`, with `UP-TO-DATE`, `FAILED`, `SKIPPED`,
 * `NO-SOURCE`) and test events (`Class > test PASSED|FAILED|SKIPPED`). A failure takes a name out of the passed
 * set and keeps it out; a skip is added as it comes (its result refused if the name also passed or failed).
 */

import type { LogParser } from '../../testStatus';
import { splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

const PASSED = [/^> Task :(\S+)$/, /^> Task :(\S+) UP-TO-DATE$/, /^(.+ > .+) PASSED$/];
const FROM_CACHE = /^> Task :(\S+) FROM-CACHE$/;
const FAILED = [/^> Task :(\S+) FAILED$/, /^(.+ > .+) FAILED$/];
const SKIPPED = [/^> Task :(\S+) SKIPPED$/, /^> Task :(\S+) NO-SOURCE$/, /^(.+ > .+) SKIPPED$/];

const firstGroups = (patterns: RegExp[], line: string): string[] =>
  patterns.flatMap((pattern) => pattern.exec(line)?.[1] ?? []);

/** `passed`: the lines that pass a task or a test. */
function gradleParser(passed: RegExp[]): LogParser {
  return (log) => {
    const result = new TestResultSets();
    for (const line of splitLines(log)) {
      for (const name of firstGroups(passed, line)) if (!result.failed.has(name)) result.passed.add(name);
      for (const name of firstGroups(FAILED, line)) {
        result.failed.add(name);
        result.passed.delete(name);
      }
      for (const name of firstGroups(SKIPPED, line)) result.skipped.add(name);
    }
    return result.toStatusMap();
  };
}

export const parseMultiSweBenchGradle = gradleParser(PASSED);

/** The same, a task taken from the build cache (`FROM-CACHE`) counted as passed. */
export const parseMultiSweBenchGradleFromCache = gradleParser([...PASSED, FROM_CACHE]);

/**
 * The same lines stripped, a cached task counted as passed, with other rules for skips: a pass or a failure takes
 * a name out of the skipped set, and a skip is recorded only for a name that failed before it (and not since
 * passed), a result the harness then refuses as the name is in two sets.
 */
export const parseMultiSweBenchGradleStripped: LogParser = (log) => {
  const result = new TestResultSets();
  for (const line of splitLines(log).map(strip)) {
    for (const name of firstGroups([...PASSED, FROM_CACHE], line)) {
      if (result.failed.has(name)) continue;
      result.skipped.delete(name);
      result.passed.add(name);
    }
    for (const name of firstGroups(FAILED, line)) {
      result.passed.delete(name);
      result.skipped.delete(name);
      result.failed.add(name);
    }
    for (const name of firstGroups(SKIPPED, line))
      if (!result.passed.has(name) && result.failed.has(name)) result.skipped.add(name);
  }
  return result.toStatusMap();
};
