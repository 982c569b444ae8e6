/**
 * pytest run with `-rA`: the short summary lists `STATUS nodeid[ - reason]` for every test. Verbose lines
 * (`nodeid STATUS`) are read too, so `-v` output without `-rA` also works.
 */

import type { StatusMap, TestStatus } from '../testStatus';

const STATUS_WORDS: Record<string, TestStatus> = {
  PASSED: 'PASSED',
  FAILED: 'FAILED',
  ERROR: 'ERROR',
  SKIPPED: 'SKIPPED',
  XFAIL: 'XFAIL',
  XPASS: 'PASSED',
};

/** A node id: a path with `::` parts, then an optional `[parameters]` block that may hold spaces. */
const NODE_ID = String.raw`[^\s\[]+::[^\s\[]+(?:\[.*?\](?=$| - | (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b))?`;
const SUMMARY_LINE = new RegExp(`^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (${NODE_ID})(?: - .*)?$`);
const VERBOSE_LINE = new RegExp(`^(${NODE_ID}) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\\b`);

export function parsePytestLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const rawLine of log.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trimEnd();
    const summary = SUMMARY_LINE.exec(line);
    if (summary) {
      statuses.set(summary[2], STATUS_WORDS[summary[1]]);
      continue;
    }
    const verbose = VERBOSE_LINE.exec(line);
    // The summary comes last and is authoritative; a verbose line only fills in what it lacks.
    if (verbose && !statuses.has(verbose[1])) statuses.set(verbose[1], STATUS_WORDS[verbose[2]]);
  }
  return statuses;
}
