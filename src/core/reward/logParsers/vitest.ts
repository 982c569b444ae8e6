/** Vitest with `--reporter=verbose`: `✓ file > describe > name 3ms`, `× …`, `↓ … [skipped]`. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\s*(✓|×|↓)\s([^\n]+?)(?:\s(\d+\s*m?s?|\[skipped\]))?$/;
const STATUSES: Record<string, string> = { '✓': 'PASSED', '×': 'FAILED', '↓': 'SKIPPED' };

export const parseVitest: LogParser = (log) => statusesOfLines(log, RESULT, ([, mark, name]) => [name, STATUSES[mark]]);
