/** The Tcl test suite of Redis and Valkey: `[ok]: name (12 ms)`, `[err]: name in tests/x.tcl`, `[skip]`, `[ignore]`. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\[(ok|err|skip|ignore)\]:\s([^\n]+?)(?:\s\((\d+\s*m?s)\))?$/;

export const parseRedisTest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, outcome, name]) => {
    if (outcome === 'ok') return [name, 'PASSED'];
    // A failure names the file it is in; the id is the name alone.
    if (outcome === 'err') return [name.replace(/\s+in\s+\S+$/, ''), 'FAILED'];
    return [name, 'SKIPPED'];
  });
