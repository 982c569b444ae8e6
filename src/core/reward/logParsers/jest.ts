/** Jest with `--verbose`: `✓ name (5 ms)`, `✕ name`, `○ skipped name`; the id is the test's own title. */

import type { LogParser } from '../testStatus';
import { statusesOfLines, strip } from './text';

const RESULT = /^\s*(✓|✕|○)\s([^\n]+?)(?:\s\((\d+\s*m?s)\))?$/;
const STATUSES: Record<string, string> = { '✓': 'PASSED', '✕': 'FAILED', '○': 'SKIPPED' };

export const parseJest: LogParser = (log, context) =>
  // Harness 4 kept the space before a duration as part of the name.
  statusesOfLines(log, RESULT, ([, mark, name]) => [context.harnessVersion >= 5 ? strip(name) : name, STATUSES[mark]]);
