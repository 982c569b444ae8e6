/**
 * Multi-SWE-bench's readings of zstd's and mruby's test runs, which judge the run (or its build) as one test
 * (`all tests`, `build`) from markers and counts in the log, for the pull requests whose runs print no result
 * per test. The harness's parser for each repository picks one of them by the row's pull-request number.
 */

import { LogParseError, type LogParser } from '../../testStatus';
import { PY_SPACE_CHARACTER, splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

/** How many times the text holds `marker`, counted without overlaps (Python's `len(re.findall(re.escape(m), t))`). */
function occurrences(text: string, marker: string): number {
  return text.split(marker).length - 1;
}

/** One test, `name`, passed when the condition holds, else failed. */
function oneTest(result: TestResultSets, name: string, passed: boolean): void {
  (passed ? result.passed : result.failed).add(name);
}

/** `all tests` passed when `marker` is in the log exactly once, else failed (the log's `PASS: NAME` lines aside). */
function allTestsByMarkerOnce(marker: string): LogParser {
  return (log) => {
    const result = new TestResultSets();
    oneTest(result, 'all tests', occurrences(log, marker) === 1);
    return result.toStatusMap();
  };
}

/** zstd's pull requests 1230–1748: the pool tests' summary line printed once. */
export const parseMultiSweBenchZstdPoolTests = allTestsByMarkerOnce('PASS: all POOL tests');

/** zstd's pull requests 1831–2703: the educational decoder's directory left once by make (its tests ran through). */
export const parseMultiSweBenchZstdDecoderBuilt = allTestsByMarkerOnce(
  "make[1]: Leaving directory '/home/zstd/doc/educational_decoder'",
);

const S = PY_SPACE_CHARACTER;
/** A count after a label: `OK: 12`, `KO: 0` (the label after whitespace, as the harness's patterns have it). */
const countAfter = (label: string, flags = 'u') => new RegExp(`${S}${label}:${S}*(\\d+)`, flags);
const TEST_PASSED = new RegExp(`^(.*?)${S}*:${S}*\\.$`, 'u');
const TEST_FAILED = new RegExp(`^(.*?)${S}*:${S}*F$`, 'u');

/** mruby's pull requests before 2784: `all tests` passed when the run's `Total:` count equals its `OK:` count (neither 0). */
export const parseMultiSweBenchMrubyTotals: LogParser = (log) => {
  const total = Number(new RegExp(`Total:${S}*(\\d+)`, 'u').exec(log)?.[1] ?? 0);
  const ok = Number(countAfter('OK').exec(log)?.[1] ?? 0);
  const result = new TestResultSets();
  oneTest(result, 'all tests', total > 0 && ok > 0 && total === ok);
  return result.toStatusMap();
};

/**
 * mruby's pull requests 2784–4932: the run prints two `KO:` counts (mrbtest's and the binaries' tests), so
 * `build` passed when there are two, `all tests` when both are 0. A run whose log says `Fail: regression for #1564`
 * once has that known failure taken off the second count; with fewer than two counts then, the harness's parser
 * raises, and the log is refused here too.
 */
export const parseMultiSweBenchMrubyKoCounts: LogParser = (log) => {
  const counts = [...log.matchAll(countAfter('KO', 'gu'))].map((match) => Number(match[1]));
  if (occurrences(log, 'Fail: regression for #1564') === 1) {
    if (counts.length < 2) throw new LogParseError('mruby: a known failure to discount but fewer than two KO counts');
    counts[1] -= 1;
  }
  const result = new TestResultSets();
  oneTest(result, 'build', counts.length === 2);
  oneTest(result, 'all tests', counts.length === 2 && counts[0] === 0 && counts[1] === 0);
  return result.toStatusMap();
};

/**
 * mruby's pull requests from 4933: `build` passed when the log holds two `OK:` counts, and each `NAME : .` line a
 * passed test, each `NAME : F` a failed one.
 */
export const parseMultiSweBenchMrubyTests: LogParser = (log) => {
  const result = new TestResultSets();
  oneTest(result, 'build', [...log.matchAll(new RegExp(`${S}OK:${S}`, 'gu'))].length === 2);
  for (const line of splitLines(log).map(strip)) {
    const passed = TEST_PASSED.exec(line);
    if (passed) result.passed.add(passed[1]);
    const failed = TEST_FAILED.exec(line);
    if (failed) result.failed.add(failed[1]);
  }
  return result.toStatusMap();
};
