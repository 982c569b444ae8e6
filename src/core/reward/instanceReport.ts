/**
 * One instance's report.json entry, as the harness writes it after running an evaluation: from the
 * prediction's patch and the test output, through the log parser and the grading rules of a harness
 * release. Pure: `rollout grade`, `rollout eval` and the extension all grade through `gradeTestOutput`.
 */

import { resolutionStatus, testsReport, type ExpectedTests, type ResolutionStatus, type TestsStatus } from './grading';
import { evalTypeFor, type EvalType, type HarnessRules } from './harnessRules';
import { classifyInfraFailure } from './infraFailure';
import type { LogParserName } from './logParsers/index';
import { readTestOutput } from './testOutput';
import type { HarnessReadings, StatusMap } from './testStatus';

/** The harness's per-instance report, keys in its order; `infra_failure*` exist from 5.0 on. */
export interface InstanceReport {
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  resolved: boolean;
  infra_failure?: boolean;
  infra_failure_reason?: string;
  tests_status?: TestsStatus;
}

/** report.json: the instance's report under its id. */
export type ReportFile = Record<string, InstanceReport>;

export interface GradeInput {
  instanceId: string;
  /** `owner/name`, for the repositories graded FAIL_ONLY. */
  repo?: string;
  version?: string;
  /** The model's patch; null when it submitted none. */
  patch: string | null;
  /** The harness-shaped test output (see testOutput.ts). */
  testOutput: string;
  expected: ExpectedTests;
  logParser: LogParserName;
  /** The task's own `eval_type`, when its dataset gives one. */
  evalType?: EvalType;
  rules: HarnessRules;
  /** What the benchmark's own harness read in the log, for the parser that defers to it. */
  harnessReadings?: HarnessReadings;
  /** The tests' statuses where they are known without reading the log (a log the parser failed on reads none). */
  statuses?: StatusMap;
}

export interface Grade {
  report: InstanceReport;
  /** The parsed status map; absent when the log was not read. */
  statuses?: StatusMap;
  /** Absent when the tests were not graded. */
  resolution?: ResolutionStatus;
  evalType: EvalType;
  /** Why the log was not graded, in words (our addition; the harness only sets `patch_successfully_applied`). */
  notGradedBecause?: string;
}

export function gradeTestOutput(input: GradeInput): Grade {
  const { rules } = input;
  const evalType = evalTypeFor(rules, input.repo, input.evalType);
  const report: InstanceReport = {
    patch_is_None: input.patch === null,
    patch_exists: input.patch !== null,
    patch_successfully_applied: false,
    resolved: false,
    ...(rules.labelsInfraFailures ? { infra_failure: false } : {}),
  };
  if (input.patch === null) return { report, evalType, notGradedBecause: 'the prediction has no patch' };
  const context = {
    instanceId: input.instanceId,
    version: input.version,
    harnessVersion: rules.harnessVersion,
    harnessReadings: input.harnessReadings,
  };
  const reading = input.statuses
    ? { graded: true as const, statuses: input.statuses }
    : readTestOutput(input.testOutput, input.logParser, context, rules);
  if (!reading.graded) {
    const label = rules.labelsInfraFailures ? classifyInfraFailure(input.testOutput) : undefined;
    if (label) {
      report.infra_failure = label.tier === 'environment';
      report.infra_failure_reason = label.reason;
    }
    return { report, statuses: reading.statuses, evalType, notGradedBecause: reading.reason };
  }
  report.patch_successfully_applied = true;
  const tests = testsReport(reading.statuses, input.expected, rules, evalType);
  const resolution = resolutionStatus(tests);
  report.resolved = resolution === 'RESOLVED_FULL';
  report.tests_status = tests;
  return { report, statuses: reading.statuses, resolution, evalType };
}
