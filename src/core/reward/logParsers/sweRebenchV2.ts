/**
 * The parser that defers to SWE-rebench-V2's own: its harness has read the log it writes (between its markers in the
 * test command's output) before grading (`reward/sweRebenchV2Harness.ts`), and this gives back what it read.
 */

import { sweRebenchV2Log } from '../sweRebenchV2Harness';
import { LogParseError, type ParseContext, type StatusMap } from '../testStatus';

export function parseBySweRebenchV2Harness(text: string, context: ParseContext): StatusMap {
  const log = sweRebenchV2Log(text);
  if (log === undefined) throw new LogParseError('the test output holds no SWE-rebench-V2 log: the tests did not run');
  const reading = context.harnessReadings?.get(log);
  if (reading === undefined) throw new LogParseError("SWE-rebench-V2's parsers have not read this log");
  if (reading instanceof LogParseError) throw reading;
  return reading;
}
