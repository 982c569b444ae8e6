/**
 * The test output of one evaluation as the harness writes and reads it (its `test_output.txt`): the eval
 * script's shell trace, with the test command's output between two markers and, since 5.0, its exit status
 * after them. Reading it gives the status map, or the reason the harness would not grade it ("patch not
 * successfully applied" in its report).
 */

import type { HarnessRules } from './harnessRules';
import { parseTestLog, type LogParserName } from './logParsers/index';
import { universalNewlines } from './logParsers/text';
import type { ParseContext, StatusMap } from './testStatus';

export const TEST_OUTPUT_MARKERS = {
  applyPatchFail: '>>>>> Patch Apply Failed',
  resetFailed: '>>>>> Reset Failed',
  testsError: '>>>>> Tests Errored',
  testsTimeout: '>>>>> Tests Timed Out',
  start: '>>>>> Start Test Output',
  end: '>>>>> End Test Output',
  exitCode: '>>>>> Test Exit Code',
} as const;

/** Markers of a run that went wrong before or around the tests: their presence anywhere voids the log. */
const FAILURE_MARKERS = [
  TEST_OUTPUT_MARKERS.applyPatchFail,
  TEST_OUTPUT_MARKERS.resetFailed,
  TEST_OUTPUT_MARKERS.testsError,
  TEST_OUTPUT_MARKERS.testsTimeout,
];

/**
 * Lines by which a runner shows that it ran at least one test, for logs whose parser found nothing (a
 * FAIL_ONLY parser records failures only, so a clean run parses empty). A zero count is no evidence.
 */
const SUITE_RAN_EVIDENCE = [
  /Executed [1-9]\d* of \d+/, // karma
  /TOTAL: [1-9]\d* (?:SUCCESS|FAILED)/, // karma's summary
  /[1-9]\d* passing/, // mocha
  /Tests:\s+[1-9]\d*/, // jest
  /Test Suites:\s+(?:\d+ \w+, )*[1-9]\d* total/, // jest
  /(?<![^\n])# tests [1-9]\d*/, // TAP
  /[1-9]\d* specs?, \d+ failures?/, // jasmine
  /': ok(?![^\n])/, // OpenLayers' rendering tests at --log-level info
];

export type TestOutputReading =
  { graded: true; statuses: StatusMap } | { graded: false; reason: string; statuses?: StatusMap };

/** The test command's exit status the eval script recorded, or undefined when the log has none. */
export function recordedExitCode(content: string): number | undefined {
  const match = new RegExp(`${TEST_OUTPUT_MARKERS.exitCode}:\\s*(-?\\d+)`).exec(content);
  return match ? Number(match[1]) : undefined;
}

/**
 * The texts of a test output a parser reads: the test command's output between the markers, then the whole log
 * where that holds no result. Undefined when the markers are missing.
 */
export function parsedTexts(testOutput: string): { between: string; whole: string } | undefined {
  return markedTexts(universalNewlines(testOutput));
}

function markedTexts(whole: string): { between: string; whole: string } | undefined {
  if (!whole.includes(TEST_OUTPUT_MARKERS.start) || !whole.includes(TEST_OUTPUT_MARKERS.end)) return undefined;
  return { between: whole.split(TEST_OUTPUT_MARKERS.start)[1].split(TEST_OUTPUT_MARKERS.end)[0], whole };
}

/**
 * The harness's reading of a test output. Parsers throw LogParseError on logs the harness's parser fails
 * on (the harness then writes no report at all).
 */
export function readTestOutput(
  testOutput: string,
  parser: LogParserName,
  context: ParseContext,
  rules: HarnessRules,
): TestOutputReading {
  // The harness reads test_output.txt in Python's text mode: CRLF and CR arrive as LF.
  const content = universalNewlines(testOutput);
  const failure = FAILURE_MARKERS.find((marker) => content.includes(marker));
  if (failure) return { graded: false, reason: `the log holds '${failure}'` };
  const texts = markedTexts(content);
  if (!texts)
    return {
      graded: false,
      reason: `the log lacks the '${TEST_OUTPUT_MARKERS.start}' and '${TEST_OUTPUT_MARKERS.end}' markers`,
    };
  let statuses = parseTestLog(parser, texts.between, context);
  // Some runners print their results outside the markers (stderr written after stdout): read the whole log.
  if (statuses.size === 0 && rules.wholeLogWithoutResults) statuses = parseTestLog(parser, texts.whole, context);
  if (rules.requireSuiteRan && statuses.size === 0 && !SUITE_RAN_EVIDENCE.some((pattern) => pattern.test(content)))
    return { graded: false, reason: 'the log has no test results and no sign that the test suite ran' };
  const exitCode = recordedExitCode(content);
  const reportsFailure = [...statuses.values()].some((status) => status === 'FAILED' || status === 'ERROR');
  if (rules.checkExitCode && exitCode !== undefined && exitCode !== 0 && statuses.size > 0 && !reportsFailure)
    return {
      graded: false,
      reason: `the test command exited ${exitCode} but the log reports no failing test`,
      statuses,
    };
  return { graded: true, statuses };
}
