/** `go test -v`: `--- PASS|FAIL|SKIP: TestName (0.00s)` lines, subtests `TestName/sub` at any indent. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^--- (PASS|FAIL|SKIP): ([^\n]+) \(([^\n]+)\)$/;
const STATUSES: Record<string, string> = { PASS: 'PASSED', FAIL: 'FAILED', SKIP: 'SKIPPED' };

export const parseGoTest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, name]) => [name, STATUSES[status]]);
