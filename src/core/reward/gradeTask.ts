/**
 * Grades one task's test output as the harness would: the one function behind `rollout grade`, the
 * evaluator and the extension's grade view.
 */

import { logParserFor, type EnvironmentSpecs } from '../task/environment';
import type { Task } from '../task/task';
import type { ResolutionStatus } from './grading';
import { harnessRulesFor, type EvalType } from './harnessRules';
import type { HarnessVersion } from './harnessVersion';
import { gradeTestOutput, type Grade, type ReportFile } from './instanceReport';
import type { LogParserName } from './logParsers/index';
import { harnessReaderOf } from './harnessReaders';
import { parsedTexts, TEST_OUTPUT_MARKERS } from './testOutput';
import type { StatusMap } from './testStatus';

export interface GradeTaskOptions {
  /** The release to grade as; absent, the task's dataset's own harness's rules (harnessRulesFor). */
  harnessVersion?: HarnessVersion;
  logParser: LogParserName;
  /** The model's patch; null when it submitted none. Only whether there is one matters to the grade. */
  patch?: string | null;
  /** The tests' statuses, known without reading the log (see GradeInput). */
  statuses?: StatusMap;
}

/** The grade; where the task's parser is a benchmark harness's own, that harness reads the log first. */
export async function gradeTaskOutput(task: Task, testOutput: string, options: GradeTaskOptions): Promise<Grade> {
  const reader = harnessReaderOf(options.logParser);
  const texts = reader && parsedTexts(testOutput);
  return gradeTestOutput({
    instanceId: task.id,
    repo: task.repo.name,
    version: task.version,
    patch: options.patch === undefined ? '' : options.patch,
    testOutput,
    expected: task,
    logParser: options.logParser,
    evalType: task.evalType,
    rules: harnessRulesFor(task, options),
    harnessReadings: texts && (await reader.read(task, texts)),
    statuses: options.statuses,
  });
}

/** A test runner's own log as a test output: the output markers around it, and its exit status when known. */
export function asTestOutput(log: string, exitCode?: number): string {
  const status = exitCode === undefined ? '' : `${TEST_OUTPUT_MARKERS.exitCode}: ${exitCode}\n`;
  return `${TEST_OUTPUT_MARKERS.start}\n${log}${log.endsWith('\n') ? '' : '\n'}${TEST_OUTPUT_MARKERS.end}\n${status}`;
}

/** One test log graded for a task, as `rollout grade --json` prints it and the editor shows it. */
export interface LogGrade {
  instance_id: string;
  harness_version: HarnessVersion;
  log_parser: LogParserName;
  eval_type: EvalType;
  /** report.json as the harness writes it: the instance's entry under its id. */
  report: ReportFile;
  /** Null when the log was not graded (the report's patch_successfully_applied is false). */
  resolution: ResolutionStatus | null;
  /** The status map the grade used; empty when the log was not graded. */
  status_map: Record<string, string>;
  not_graded_because?: string;
}

export interface GradeLogOptions {
  harnessVersion?: HarnessVersion;
  specs?: EnvironmentSpecs;
  /** The log is a test runner's own output, not a harness test output (no markers): read it whole. */
  raw?: boolean;
  /** The test command's exit status, for a raw log. */
  exitCode?: number;
  /** Grade as for a prediction without a patch. */
  noPatch?: boolean;
}

/**
 * Grades a harness test output (or, `raw`, a test runner's own log) for `task`; throws LogParseError where
 * the harness's parser fails.
 */
export async function gradeLog(task: Task, log: string, options: GradeLogOptions): Promise<LogGrade> {
  const logParser = logParserFor(task, options.specs);
  const runnerLog = harnessReaderOf(logParser)?.rawLog(log) ?? log;
  const testOutput = options.raw ? asTestOutput(runnerLog, options.exitCode) : log;
  const grade = await gradeTaskOutput(task, testOutput, {
    harnessVersion: options.harnessVersion,
    logParser,
    patch: options.noPatch ? null : undefined,
  });
  return {
    instance_id: task.id,
    harness_version: harnessRulesFor(task, options).harnessVersion,
    log_parser: logParser,
    eval_type: grade.evalType,
    report: { [task.id]: grade.report },
    resolution: grade.resolution ?? null,
    status_map: grade.report.patch_successfully_applied ? Object.fromEntries(grade.statuses ?? []) : {},
    ...(grade.notGradedBecause ? { not_graded_because: notGradedBecause(grade.notGradedBecause, log, options) } : {}),
  };
}

function notGradedBecause(reason: string, log: string, options: GradeLogOptions): string {
  const markers = log.includes(TEST_OUTPUT_MARKERS.start) || log.includes(TEST_OUTPUT_MARKERS.end);
  return options.raw || markers ? reason : `${reason} (for a test runner's own log, grade it with --raw)`;
}

/** A grade in a few lines: resolution, each group's count and its failing tests. */
export function describeLogGrade(grade: LogGrade): string {
  const report = grade.report[grade.instance_id];
  const lines = [
    `${grade.instance_id}: ${grade.resolution ?? 'not graded'} (harness ${grade.harness_version}, parser ${grade.log_parser}, ${grade.eval_type})`,
  ];
  if (grade.not_graded_because) lines.push(`  ${grade.not_graded_because}`);
  for (const group of ['FAIL_TO_PASS', 'PASS_TO_PASS'] as const) {
    const result = report.tests_status?.[group];
    if (!result) continue;
    lines.push(`  ${group}: ${result.success.length}/${result.success.length + result.failure.length} pass`);
    for (const id of result.failure) lines.push(`    failing: ${id}`);
  }
  lines.push(`  resolved: ${report.resolved}`);
  return lines.join('\n');
}
