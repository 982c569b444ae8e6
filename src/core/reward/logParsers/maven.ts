/**
 * Maven, one test per `mvn test -Dtest=Class#method` command: Maven prints no line per passing test, so the
 * harness runs each test alone and reads the command from the shell trace (`+ mvn … -Dtest=X`) and the
 * outcome from the next `BUILD SUCCESS|FAILURE`. Since 5.0, traces and outcomes that interleave are
 * matched in order.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, strip } from './text';

const TEST_NAME = /^[^\n]*-Dtest=(\S+)[^\n]*$/;
const OUTCOME = /^[^\n]*BUILD (SUCCESS|FAILURE)$/;

function record(statuses: StatusMap, test: string, outcome: string): void {
  statuses.set(test, outcome === 'SUCCESS' ? 'PASSED' : 'FAILED');
}

export const parseMaven: LogParser = (log, context) => {
  const statuses: StatusMap = new Map();
  const pendingTests: string[] = [];
  const pendingOutcomes: string[] = [];
  let current = '---NO TEST NAME FOUND YET---';
  for (const raw of lines(log)) {
    const line = strip(raw);
    const test = TEST_NAME.exec(line)?.[1];
    if (test !== undefined) {
      if (context.harnessVersion >= 5) pendingTests.push(test);
      else current = test;
    }
    const outcome = OUTCOME.exec(line)?.[1];
    if (outcome === undefined) continue;
    if (context.harnessVersion < 5) record(statuses, current, outcome);
    else if (pendingTests.length > 0) record(statuses, pendingTests.shift() as string, outcome);
    else pendingOutcomes.push(outcome);
  }
  while (pendingTests.length > 0 && pendingOutcomes.length > 0)
    record(statuses, pendingTests.shift() as string, pendingOutcomes.shift() as string);
  return statuses;
};
