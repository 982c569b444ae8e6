/** Ant's JUnit task with a one-line-per-test formatter: `[junit] [PASS] name`, `[FAIL]` or `[ERR]`. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\s*\[junit\]\s+\[(PASS|FAIL|ERR)\]\s+([^\n]*)$/;

export const parseAnt: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, name]) => [name, status === 'PASS' ? 'PASSED' : 'FAILED']);
