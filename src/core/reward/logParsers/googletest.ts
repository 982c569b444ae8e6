/** GoogleTest: `[       OK ] Suite.Name (0 ms)` and `[  FAILED  ] Suite.Name (1 ms)`. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^[^\n]*\[\s*(OK|FAILED)\s*\]\s([^\n]*)\s\([^\n]*\)$/;

export const parseGoogletest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, name]) => [name, status === 'OK' ? 'PASSED' : 'FAILED']);
