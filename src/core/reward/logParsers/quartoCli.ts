/**
 * quarto-cli's Deno test runs, read as the harness reads them. Only lines naming a `[smoke]` or `[unit]`
 * test count, up to the first line that mentions `ERRORS` or `failures:` (Deno's error report). The id is
 * the line up to its first `...`, trimmed, with each temporary path (`/tmp/<word>.qmd`, `/tmp/<word>/`)
 * renumbered `/tmp/0`, `/tmp/1`… in the order first seen, so that ids hold from run to run. The status
 * is read from Deno's colour codes: a green `ok` passed, a red `FAILED` failed, and a test line with
 * neither (the line a test with output starts on) failed unless a later line gives its result. Lines
 * that are Quarto's `INFO` logs, a `test result:` line or a summary of passed, failed and steps are no
 * results.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { PY_WORD_CHARACTER, lines, strip } from './text';

const TEST_TYPE = /\[(smoke|unit)\]/;
const END_OF_RESULTS = ['ERRORS', 'failures:'];
const TEMPORARY_PATHS = [`/tmp/${PY_WORD_CHARACTER}+\\.qmd`, `/tmp/${PY_WORD_CHARACTER}+/`];
const COLOURED_STATUSES: [marker: string, status: string][] = [
  ['32mok', 'PASSED'],
  ['31mFAILED', 'FAILED'],
];

function isNoResult(line: string): boolean {
  const isSummary = line.includes('passed') && line.includes('failed') && line.includes('steps');
  return line.startsWith('test result:') || isSummary || line.includes('34mINFO');
}

export const parseQuartoCli: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const numbers = new Map<string, number>();
  for (const rawLine of lines(log)) {
    if (END_OF_RESULTS.some((marker) => rawLine.includes(marker))) break;
    if (!TEST_TYPE.test(rawLine)) continue;
    let line = rawLine;
    for (const pattern of TEMPORARY_PATHS) {
      const path = new RegExp(pattern, 'u').exec(line)?.[0];
      if (path === undefined) continue;
      if (!numbers.has(path)) numbers.set(path, numbers.size);
      line = line.replace(new RegExp(pattern, 'gu'), `/tmp/${numbers.get(path)}`);
    }
    if (isNoResult(line)) continue;
    const name = strip(line.split('...')[0]);
    const status = COLOURED_STATUSES.find(([marker]) => line.includes(marker))?.[1];
    if (status) statuses.set(name, status);
    else if (!statuses.has(name)) statuses.set(name, 'FAILED');
  }
  return statuses;
};
