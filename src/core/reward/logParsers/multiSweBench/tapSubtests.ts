/**
 * Multi-SWE-bench's reading of node's TAP reporter (zx): `# Subtest: NAME` lines build a path of names, four spaces
 * of indentation a level, and each `ok N - NAME` / `not ok N - NAME` is named by that path with its last name
 * replaced by its own, joined by `:`.
 */

import type { LogParser } from '../../testStatus';
import { splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

const SUBTEST = /^(\s*)# Subtest:\s*(.+)/;
const RESULT = /^\s*(ok|not ok)\s+\d+\s+-\s+(.+)/;

export const parseMultiSweBenchTapSubtests: LogParser = (log) => {
  const result = new TestResultSets();
  let path: string[] = [];
  for (const line of splitLines(log)) {
    if (!strip(line)) continue;
    const subtest = SUBTEST.exec(line);
    if (subtest) {
      path = [...path.slice(0, Math.floor(subtest[1].length / 4)), strip(subtest[2])];
      continue;
    }
    const test = RESULT.exec(line);
    if (!test) continue;
    const name = [...path.slice(0, -1), strip(test[2])].join(':');
    result[test[1] === 'ok' ? 'passed' : 'failed'].add(name);
  }
  return result.toStatusMap();
};
