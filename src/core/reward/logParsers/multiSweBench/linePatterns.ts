/**
 * Multi-SWE-bench's parsers that read one result a line: each stripped line is tried against every pattern, and
 * a match adds its first group to that pattern's set. The patterns are the harness's, per test tool.
 */

import type { LogParser } from '../../testStatus';
import { PY_WORD_CHARACTER, splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

type Outcome = 'passed' | 'failed' | 'skipped';

/** `lowerCase`: each line is lower-cased before it is tried (test names are recorded lower-cased). */
function byLinePatterns(patterns: [RegExp, Outcome][], { lowerCase = false } = {}): LogParser {
  return (log) => {
    const result = new TestResultSets();
    for (const stripped of splitLines(log).map(strip)) {
      const line = lowerCase ? stripped.toLowerCase() : stripped;
      for (const [pattern, outcome] of patterns) {
        const match = pattern.exec(line);
        if (match) result[outcome].add(match[1]);
      }
    }
    return result.toStatusMap();
  };
}

/** `cargo test`: `test NAME ... ok`, `... FAILED`, `... ignored` (the harness's dots are any character, as here). */
export const parseMultiSweBenchCargo = byLinePatterns([
  [/^test (\S+) ... ok/, 'passed'],
  [/^test (\S+) ... FAILED/, 'failed'],
  [/^test (\S+) ... ignored/, 'skipped'],
]);

/** jq's `make check`: `PASS: NAME`, `FAIL: NAME`, `SKIP: NAME`. */
export const parseMultiSweBenchJq = byLinePatterns([
  [/^PASS: (\S+)$/, 'passed'],
  [/^FAIL: (\S+)$/, 'failed'],
  [/^SKIP: (\S+)$/, 'skipped'],
]);

const CTEST_PASSED = /^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*Passed/;

/** CTest's progress lines (`1/6 Test #1: NAME ....   Passed`), a failure being any `***Failed` line. */
export const parseMultiSweBenchCtest = byLinePatterns([
  [CTEST_PASSED, 'passed'],
  [/^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*\*+Failed/, 'failed'],
]);

/** CTest's progress lines, a failure only where `***Failed` ends the line (no reason or time after it). */
export const parseMultiSweBenchCtestFailedLast = byLinePatterns([
  [CTEST_PASSED, 'passed'],
  [/^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*\*+Failed$/, 'failed'],
]);

/** GoogleTest's `[       OK ]` / `[  FAILED  ]` lines, plain or coloured, and ponyc's own `---- Passed:` runner. */
export const parseMultiSweBenchGoogletest = byLinePatterns([
  [/^\[ {7}OK \] (\S+?)( \(.+\))?$/, 'passed'],
  [/^\x1b\[0;32m\[ {7}OK \] \x1b\[0m(\S+?)( \(.+\))?$/, 'passed'],
  [/^\x1b\[92m---- Passed: (\S+?)\x1b\[0m$/, 'passed'],
  [/^\[ {2}FAILED {2}\] (\S+?)( \(.+\))?$/, 'failed'],
  [/^\x1b\[0;31m\[ {2}FAILED {2}\] \x1b\[0m(\S+?)( \(.+\))?$/, 'failed'],
  [/^\x1b\[91m\*\*\*\* FAILED: (\S+?)\x1b\[0m$/, 'failed'],
]);

/** CTest's `Passed` / `***Failed` lines and CMake's `-- Performing Test NAME - Success|Failed|skipped` checks. */
export const parseMultiSweBenchCtestWithChecks = byLinePatterns(
  [
    [/^-- Performing Test (.+) - Success$/i, 'passed'],
    [/^\d+\/\d+ Test\s+#\d+: (.+) \.+\s+ Passed\s+.+$/i, 'passed'],
    [/^-- Performing Test (.+) - Failed$/i, 'failed'],
    [/^\d+\/\d+ Test\s+#\d+: (.+) \.+\*\*\*Failed\s+.+$/i, 'failed'],
    [/^-- Performing Test (.+) - skipped$/i, 'skipped'],
  ],
  { lowerCase: true },
);

/** Vitest's default reporter: `✓ name 12ms` and `× name 3ms`, the time left out of the name. */
export const parseMultiSweBenchVitest = byLinePatterns([
  [/^✓ (.+?)(?:\s*\d*\.?\d+\s*(?:ms|s|m))?$/, 'passed'],
  [/^× (.+?)(?:\s*\d*\.?\d+\s*(?:ms|s|m))?$/, 'failed'],
]);

/** Mocha's spec reporter: `✔ title (12ms)` passed, `1) title` failed. */
export const parseMultiSweBenchMocha = byLinePatterns([
  [new RegExp(`^✔ (.+?)(?:\\s\\(\\d*\\.?\\d*\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u'), 'passed'],
  [new RegExp(`^\\d+\\) (.+?)(?:\\s\\(\\d*\\.?\\d*\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u'), 'failed'],
]);

/** Jest's suites (`PASS file`, `FAIL file`) and tests (`✓ title`) by their own names, a time or count left out. */
export const parseMultiSweBenchJestFlat = byLinePatterns([
  [
    new RegExp(`^✓ (.+?)(?:\\s\\(\\d+\\s+tests\\))?(?:\\s*\\(?\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\)?)?$`, 'u'),
    'passed',
  ],
  [new RegExp(`^PASS (.+?)(?:\\s\\(\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u'), 'passed'],
  [new RegExp(`^FAIL (.+?)(?:\\s\\(\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u'), 'failed'],
]);
