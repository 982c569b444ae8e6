/** marked's runner: only failures are listed, as `1) name`; the repository is graded FAIL_ONLY. */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, strip } from './text';

export const parseNumberedFailures: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const line of lines(log)) {
    const match = /^\d+\)\s([^\n]*)/.exec(line);
    if (match) statuses.set(strip(match[1]), 'FAILED');
  }
  return statuses;
};
