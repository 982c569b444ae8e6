/** Ruby's test-unit verbose output: `test_name: .` (or `test: name: .`), `E`/`F` failed, `O` omitted. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\s*(?:test: )?([^\n]+):\s+(\.|E\b|F\b|O\b)/;
const STATUSES: Record<string, string> = { '.': 'PASSED', E: 'FAILED', F: 'FAILED', O: 'SKIPPED' };

export const parseRubyUnit: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, name, mark]) => [name, STATUSES[mark]]);
