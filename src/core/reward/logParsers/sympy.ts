/**
 * sympy's `bin/test --verbose`: `test_name ok|F|E` lines, and the `___ path.py:test_name ___` headers of
 * its failure report, each of which marks that test FAILED.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, strip, words } from './text';

const FAILURE_HEADER = /(_*) ([^\n]*)\.py:([^\n]*) (_*)/g;

export const parseSympy: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const match of log.matchAll(FAILURE_HEADER)) statuses.set(`${match[2]}.py:${match[3]}`, 'FAILED');
  for (const raw of lines(log)) {
    const line = strip(raw);
    if (!line.startsWith('test_')) continue;
    const name = words(line)[0];
    if (line.endsWith(' E')) statuses.set(name, 'ERROR');
    if (line.endsWith(' F')) statuses.set(name, 'FAILED');
    if (line.endsWith(' ok')) statuses.set(name, 'PASSED');
  }
  return statuses;
};
