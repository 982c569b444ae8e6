/**
 * The parser that defers to Multi-SWE-bench's own: its harness has read the log's texts before grading
 * (`reward/multiSweBenchHarness.ts`), and this gives back what it read.
 */

import { LogParseError, type ParseContext, type StatusMap } from '../../testStatus';

export function parseByMultiSweBenchHarness(log: string, context: ParseContext): StatusMap {
  const reading = context.harnessReadings?.get(log);
  if (reading === undefined) throw new LogParseError("Multi-SWE-bench's harness has not read this log");
  if (reading instanceof LogParseError) throw reading;
  return reading;
}
