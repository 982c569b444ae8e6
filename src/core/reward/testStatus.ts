/** Outcomes of single tests and the parsers that read them from a log, as the SWE-bench harness names them. */

import type { HarnessVersion } from './harnessVersion';

export type TestStatus = 'PASSED' | 'FAILED' | 'SKIPPED' | 'ERROR' | 'XFAIL';

/**
 * Test id → status. The status is a TestStatus but for one quirk the harness has and we keep: its
 * pytest parsers store the first word of a matching line as it is (`PASSED[...]` stays `PASSED[...]`), and a
 * word that is no status counts as neither passed nor failed.
 */
export type StatusMap = Map<string, string>;

/** What a parser may need to know beyond the log (a few repositories changed runners between instances). */
export interface ParseContext {
  instanceId: string;
  /** The task's SWE-bench `version`. */
  version?: string;
  harnessVersion: HarnessVersion;
  /** What a benchmark's own harness read in the log's texts, for the parser that defers to it. */
  harnessReadings?: HarnessReadings;
}

/** A reading of a benchmark's harness per log text: its status map, or why its parser refused the log. */
export type HarnessReadings = ReadonlyMap<string, StatusMap | LogParseError>;

/** A log parser: one per test framework, pure (log text in, status map out). */
export type LogParser = (log: string, context: ParseContext) => StatusMap;

/** A parser met a log it cannot read; the harness fails the instance the same way (no report). */
export class LogParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogParseError';
  }
}
