/** TAP text as the harness reads it: `ok 1 name` / `not ok 2 name` at any indent; the id is all after the number. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^(ok|not ok) (\d+) ([^\n]+)$/;

export const parseTap: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, status, , name]) => [name, status === 'ok' ? 'PASSED' : 'FAILED']);
