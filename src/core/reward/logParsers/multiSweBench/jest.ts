/**
 * Multi-SWE-bench's reading of Jest's verbose output: a `PASS FILE` / `FAIL FILE` line records the suite and sets
 * it as the current one, and each `✓ title` / `✕ title` under it records `FILE:title`. A test before any suite is
 * refused, as the harness refuses it.
 */

import type { LogParser } from '../../testStatus';
import { PY_WORD_CHARACTER, splitLines, strip } from '../text';
import { TestResultSets, unreadableLine } from './testResult';

interface JestLines {
  passedSuite: RegExp;
  failedSuite: RegExp;
  passedTest: RegExp;
  failedTest: RegExp;
}

function jestParser(patterns: JestLines): LogParser {
  return (log) => {
    const result = new TestResultSets();
    let suite: string | undefined;
    for (const line of splitLines(log).map(strip)) {
      for (const [pattern, outcome] of [
        [patterns.passedSuite, 'passed'],
        [patterns.failedSuite, 'failed'],
      ] as const) {
        const match = pattern.exec(line);
        if (match) result[outcome].add((suite = match[1]));
      }
      for (const [pattern, outcome] of [
        [patterns.passedTest, 'passed'],
        [patterns.failedTest, 'failed'],
      ] as const) {
        const match = pattern.exec(line);
        if (!match) continue;
        if (suite === undefined) unreadableLine(`a test ${outcome} before any suite`, line);
        result[outcome].add(`${suite}:${match[1]}`);
      }
    }
    return result.toStatusMap();
  };
}

/** A line's optional time in parentheses, as `(5.12 s)` or `(4 ms)`. */
const TIME = `(?:\\s\\(\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\))?$`;

/** Suites and tests with an optional time after them. */
export const parseMultiSweBenchJest = jestParser({
  passedSuite: new RegExp(`^PASS (.+?)${TIME}`, 'u'),
  failedSuite: new RegExp(`^FAIL (.+?)${TIME}`, 'u'),
  passedTest: new RegExp(`^✓ (.+?)${TIME}`, 'u'),
  failedTest: new RegExp(`^✕ (.+?)${TIME}`, 'u'),
});

/** Suites named by one word, anything in parentheses after a suite or a test left out of its name. */
export const parseMultiSweBenchJestOneWordSuites = jestParser({
  passedSuite: /^PASS (\S+)(\s*\(.+\))?$/,
  failedSuite: /^FAIL (\S+)(\s*\(.+\))?$/,
  passedTest: /^✓ (.+?)(\s+\(.+\))?$/,
  failedTest: /^✕ (.+?)(\s+\(.+\))?$/,
});
