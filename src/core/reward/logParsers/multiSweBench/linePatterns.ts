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

/** CTest's progress lines, a failure being `***Failed` or a test that died (an illegal instruction, a segfault, an abort). */
export const parseMultiSweBenchCtestWithExceptions = byLinePatterns([
  [CTEST_PASSED, 'passed'],
  [/^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*\*+Failed/, 'failed'],
  [/^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*\*+Exception: Illegal/, 'failed'],
  [/^\d+\/\d+\s+Test\s+#\d+:\s+(.+?)\s+\.+\s*Subprocess\s+aborted\*+\s*Exception:/, 'failed'],
  [/^\d+\/\d+\s+Test\s+#\d+:\s+(.+?)\s+\.+\s*Child\s+aborted\*+\s*Exception:/, 'failed'],
  [/^\d+\/\d+\s*Test\s*#\d+:\s*(.*?)\s*\.+\s*\*+Exception: SegFault/, 'failed'],
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

/** A line's optional time in parentheses at its end, as `(5.12 s)` or `(4 ms)`. */
const TIME_AT_END = `(?:\\s\\(\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\))?$`;
const JEST_PASSED_SUITE = new RegExp(`^PASS (.+?)${TIME_AT_END}`, 'u');
const JEST_FAILED_SUITE = new RegExp(`^FAIL (.+?)${TIME_AT_END}`, 'u');
/** Mocha's spec reporter's numbered failure, `1) title`, its time (digits optional) left out. */
const MOCHA_FAILED = new RegExp(`^\\d+\\) (.+?)(?:\\s\\(\\d*\\.?\\d*\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u');

/** Mocha's spec reporter: `✔ title (12ms)` passed, `1) title` failed. */
export const parseMultiSweBenchMocha = byLinePatterns([
  [new RegExp(`^✔ (.+?)(?:\\s\\(\\d*\\.?\\d*\\s*${PY_WORD_CHARACTER}+\\))?$`, 'u'), 'passed'],
  [MOCHA_FAILED, 'failed'],
]);

/** Jest's suites (`PASS file`, `FAIL file`) and tests (`✓ title`) by their own names, a time or count left out. */
export const parseMultiSweBenchJestFlat = byLinePatterns([
  [
    new RegExp(`^✓ (.+?)(?:\\s\\(\\d+\\s+tests\\))?(?:\\s*\\(?\\d*\\.?\\d+\\s*${PY_WORD_CHARACTER}+\\)?)?$`, 'u'),
    'passed',
  ],
  [JEST_PASSED_SUITE, 'passed'],
  [JEST_FAILED_SUITE, 'failed'],
]);

/** Jest's suites alone (`PASS file`, `FAIL file`), a time left out. */
export const parseMultiSweBenchJestSuites = byLinePatterns([
  [JEST_PASSED_SUITE, 'passed'],
  [JEST_FAILED_SUITE, 'failed'],
]);

/** Jest's suites and mocha's spec lines in one log: `PASS file`, `FAIL file`, `✓ title`, `1) title`. */
export const parseMultiSweBenchJestMocha = byLinePatterns([
  [JEST_PASSED_SUITE, 'passed'],
  [new RegExp(`^✓ (.+?)${TIME_AT_END}`, 'u'), 'passed'],
  [JEST_FAILED_SUITE, 'failed'],
  [MOCHA_FAILED, 'failed'],
]);

/**
 * Jest's suites (a failed one named by all the rest of its line) and coloured per-file lines (grey file name,
 * cyan `✓` or red `✖`).
 */
export const parseMultiSweBenchJestColouredFiles = byLinePatterns([
  [JEST_PASSED_SUITE, 'passed'],
  [/^\x1b\[90m\s+(.+?\.js)\x1b\[0m\s+\x1b\[36m✓\x1b\[0m/, 'passed'],
  [/^FAIL (.+?)$/, 'failed'],
  [/^\x1b\[90m\s+(.+?\.js)\x1b\[0m\s+\x1b\[31m✖\x1b\[0m/, 'failed'],
]);

/** Vitest's per-file lines: `✓ FILE …` passed, `❯ FILE …` failed (the name ends at the first space). */
export const parseMultiSweBenchVitestFiles = byLinePatterns([
  [/^✓\s+(.+?)\s/, 'passed'],
  [/^❯\s+(.+?)\s/, 'failed'],
]);

/** Vitest's coloured per-file lines as turbo prefixes them (`@trpc/tests:test-ci: [0]`, or `[0]` and the project). */
export const parseMultiSweBenchVitestTurbo = byLinePatterns([
  [/^@trpc\/tests:test-ci: \[0\]\s+\x1b\[32m✓\x1b\[39m\s+(\S+)/, 'passed'],
  [/^\[0\]\s+\x1b\[32m✓\x1b\[39m\s+\x1b\[32m\|tests\|\x1b\[39m\s+(\S+)/, 'passed'],
  [/^@trpc\/tests:test-ci: \[0\]\s+\x1b\[33m❯\x1b\[39m\s+(\S+)/, 'failed'],
  [/^\[0\]\s+\x1b\[33m❯\x1b\[39m\s+\x1b\[32m\|tests\|\x1b\[39m\s+(\S+)/, 'failed'],
]);

const TCL_RESULT = (tag: string) => new RegExp(`^\\[${tag}\\]: (.+?)( \\(.+\\))?$`);

/** The Tcl test suite of Redis and its forks: `[ok]: NAME (2 ms)`, `[err]: NAME`, `[exception]: NAME`. */
export const parseMultiSweBenchTcl = byLinePatterns([
  [TCL_RESULT('ok'), 'passed'],
  [TCL_RESULT('err'), 'failed'],
  [TCL_RESULT('exception'), 'failed'],
]);

/** The same, and `[ignore]: NAME` as skipped. */
export const parseMultiSweBenchTclWithIgnored = byLinePatterns([
  [TCL_RESULT('ok'), 'passed'],
  [TCL_RESULT('err'), 'failed'],
  [TCL_RESULT('exception'), 'failed'],
  [TCL_RESULT('ignore'), 'skipped'],
]);

/** A test script's name and an optional `--flag` after it (Python's `\w` and `-`, `.`, `/`). */
const TEST_RUNNER_NAME = '([\\p{L}\\p{N}_\\-./]+(?:\\s+--[\\p{L}\\p{N}_\\-]+)?)';

/**
 * The summary table of bitcoin's functional `test_runner.py`: `NAME [--flag] | ✓ Passed | T s` passed,
 * `… | ✖ Failed | …` failed; its closing `ALL` row counts when it passed, not when it failed.
 */
export const parseMultiSweBenchTestRunnerTable = byLinePatterns([
  [new RegExp(`^${TEST_RUNNER_NAME}\\s+\\|\\s+✓\\s+Passed\\s+\\|`, 'u'), 'passed'],
  [new RegExp(`^(?!ALL\\s+\\|)${TEST_RUNNER_NAME}\\s+\\|\\s+✖\\s+Failed\\s+\\|`, 'u'), 'failed'],
]);

/** PHP's `run-tests.php`: whatever follows the first space after `PASS` (or `FAIL`) anywhere in a line. */
export const parseMultiSweBenchPhpRunTests = byLinePatterns([
  [/^.*?PASS.*?\s+(.*)/, 'passed'],
  [/^.*?FAIL.*?\s+(.*)/, 'failed'],
]);
