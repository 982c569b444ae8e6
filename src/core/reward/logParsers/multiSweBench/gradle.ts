/**
 * Multi-SWE-bench's reading of Gradle's console: tasks (`> Task :path`, with `UP-TO-DATE`, `FAILED`, `SKIPPED`,
 * `NO-SOURCE`) and test events (`Class > test PASSED|FAILED|SKIPPED`). A failure takes a name out of the passed
 * set and keeps it out; a skip is added as it comes (its result refused if the name also passed or failed).
 */

import type { LogParser } from '../../testStatus';
import { splitLines } from '../text';
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
