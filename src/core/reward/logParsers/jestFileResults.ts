/**
 * Jest's per-file result lines, `PASS path/to/file.test.js (1.2 s)` and `FAIL …`: the id is the test file.
 * Two harness variants: `carbon` (also read for react-pdf, prettier and scratch-gui) drops a duration in
 * ms or s, the first matching form winning; `grommet` reads every FAIL line, then every PASS line (a later
 * PASS overrides a FAIL), and drops a duration, `(1.2 s)` with a space included.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, strip } from './text';

const CARBON_PATTERNS: [RegExp, string][] = [
  [/^PASS\s([^\n]*)\s\([\d.]+ms\)/, 'PASSED'],
  [/^PASS\s([^\n]*)\s\([\d.]+\ss\)/, 'PASSED'],
  [/^PASS\s([^\n]*)\s\([\d.]+s\)/, 'PASSED'],
  [/^PASS\s([^\n]*)/, 'PASSED'],
  [/^FAIL\s([^\n]*)\s\([\d.]+ms\)/, 'FAILED'],
  [/^FAIL\s([^\n]*)\s\([\d.]+\ss\)/, 'FAILED'],
  [/^FAIL\s([^\n]*)\s\([\d.]+s\)/, 'FAILED'],
  [/^FAIL\s([^\n]*)/, 'FAILED'],
];

export const parseCarbon: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const line of lines(log)) {
    for (const [pattern, status] of CARBON_PATTERNS) {
      const match = pattern.exec(line);
      if (!match) continue;
      statuses.set(match[1], status);
      break;
    }
  }
  return statuses;
};

export const parseGrommet: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const [word, status] of [
    ['FAIL', 'FAILED'],
    ['PASS', 'PASSED'],
  ]) {
    for (const match of log.matchAll(new RegExp(`(?<![^\\n])${word}\\s([^\\n]*)`, 'g')))
      statuses.set(strip(match[1]).replace(/\s\([\d.]+\s?(?:ms|s)\)$/, ''), status);
  }
  return statuses;
};
