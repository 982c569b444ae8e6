/** jq's test driver: `PASS: name` / `FAIL: name` lines. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\s*(PASS|FAIL):\s([^\n]+)$/;

export const parseJqTest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, name]) => [name, status === 'PASS' ? 'PASSED' : 'FAILED']);
