/**
 * Multi-SWE-bench's readings of mocha's spec reporter by indentation: every line is a title at the depth its
 * indentation gives (a new indentation is one level below the nearest shallower one seen so far), and a title
 * marked as passed (`✔` or `✓`, per repository) passed, one numbered `1)` failed, each named by its path of titles
 * joined by the repository's separator. The failure list mocha prints after the run is read the same way.
 */

import type { LogParser } from '../../testStatus';
import { splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

function titlePaths(result: TestResultSets, log: string, passedMark: '✔' | '✓', separator: string): void {
  const specLine = new RegExp(`^(\\s*)(?:(${passedMark}|[0-9]+\\))\\s+)?(.*?)(?:\\s+\\([0-9]+ms\\))?$`);
  const levelOfIndent = new Map<number, number>();
  let path: string[] = [];
  for (const line of splitLines(log)) {
    const match = specLine.exec(line);
    if (!match || !strip(match[3])) continue;
    const [, spaces, mark, title] = match;
    const indent = spaces.length;
    if (!levelOfIndent.has(indent)) {
      const shallower = [...levelOfIndent.keys()].filter((other) => other < indent);
      levelOfIndent.set(indent, shallower.length ? levelOfIndent.get(Math.max(...shallower))! + 1 : 0);
    }
    path = [...path.slice(0, levelOfIndent.get(indent)), strip(title)];
    if (mark === passedMark) result.passed.add(path.join(separator));
    else if (mark) result.failed.add(path.join(separator));
  }
}

/** Mongoose: `✔` passes, titles joined by ` > `. */
export const parseMultiSweBenchMochaNested: LogParser = (log) => {
  const result = new TestResultSets();
  titlePaths(result, log, '✔', ' > ');
  return result.toStatusMap();
};

/** caolan/async from pull request 1143: `✓` passes, titles joined by `:`. */
export const parseMultiSweBenchMochaNestedColon: LogParser = (log) => {
  const result = new TestResultSets();
  titlePaths(result, log, '✓', ':');
  return result.toStatusMap();
};

/** A line that starts at a line start and runs to its end, as Python's multi-line `^…$` with `.` (not across `\n`). */
const NODEUNIT_PASSED = /(?<=^|\n)✔\s+([^\n]+)(?=\n|$)/g;
const NODEUNIT_FAILED = /\[31m✖\s+([^\n]+?)(?:\[39m|(?=\n|$))/g;

/**
 * caolan/async up to pull request 1142, whose runs also ran nodeunit on `test-async.js`: its `✔ name` and red
 * `✖ name` lines (named `test-async.js:NAME`), then mocha's spec lines as from 1143.
 */
export const parseMultiSweBenchNodeunitMochaNestedColon: LogParser = (log) => {
  const result = new TestResultSets();
  for (const [, name] of log.matchAll(NODEUNIT_PASSED)) result.passed.add(`test-async.js:${strip(name)}`);
  for (const [, name] of log.matchAll(NODEUNIT_FAILED)) result.failed.add(`test-async.js:${strip(name)}`);
  titlePaths(result, log, '✓', ':');
  return result.toStatusMap();
};
