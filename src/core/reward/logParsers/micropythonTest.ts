/** MicroPython's `run-tests.py`: `pass name`, `FAIL name`, `skip name`. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^(pass|FAIL|skip)\s+([^\n]+)$/;
const STATUSES: Record<string, string> = { pass: 'PASSED', FAIL: 'FAILED', skip: 'SKIPPED' };

export const parseMicropythonTest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, name]) => [name, STATUSES[status]]);
