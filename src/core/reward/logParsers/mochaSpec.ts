/**
 * Mocha's spec reporter as the harness reads highlight.js's runs: `✓ name (5ms)` passed and `1) name`
 * failed, named by the top-level describe block (`suite.name`); the summary from `N passing` on is ignored.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, splitOnce, strip } from './text';

const DURATION = /\(\d+ms\)/g;

function withoutDuration(name: string): string {
  return strip(name.replace(DURATION, ''));
}

export const parseMochaSpec: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const results = log.split(/\n[ \t]*\d+ passing/)[0];
  let suite: string[] = [];
  for (const line of lines(results)) {
    const trimmed = strip(line);
    const check = ['✓', '✔'].find((mark) => trimmed.startsWith(mark));
    if (check) statuses.set([...suite, withoutDuration(splitOnce(line, check)[1] ?? '')].join('.'), 'PASSED');
    else if (/^\d+\)/.test(trimmed))
      statuses.set([...suite, withoutDuration(splitOnce(line, ')')[1] ?? '')].join('.'), 'FAILED');
    else if (line.startsWith('  ')) suite = [trimmed];
  }
  return statuses;
};
