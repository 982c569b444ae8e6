/**
 * Multi-SWE-bench's reading of mocha's spec reporter by indentation: every line is a title at the depth its
 * indentation gives (a new indentation is one level below the nearest shallower one seen so far), and a title
 * marked `✔` passed, one numbered `1)` failed, each named by its path of titles joined by ` > `. The failure
 * list mocha prints after the run is read the same way.
 */

import type { LogParser } from '../../testStatus';
import { splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

const SPEC_LINE = /^(\s*)(?:(✔|[0-9]+\))\s+)?(.*?)(?:\s+\([0-9]+ms\))?$/;

export const parseMultiSweBenchMochaNested: LogParser = (log) => {
  const result = new TestResultSets();
  const levelOfIndent = new Map<number, number>();
  let path: string[] = [];
  for (const line of splitLines(log)) {
    const match = SPEC_LINE.exec(line);
    if (!match || !strip(match[3])) continue;
    const [, spaces, mark, title] = match;
    const indent = spaces.length;
    if (!levelOfIndent.has(indent)) {
      const shallower = [...levelOfIndent.keys()].filter((other) => other < indent);
      levelOfIndent.set(indent, shallower.length ? levelOfIndent.get(Math.max(...shallower))! + 1 : 0);
    }
    path = [...path.slice(0, levelOfIndent.get(indent)), strip(title)];
    if (mark === '✔') result.passed.add(path.join(' > '));
    else if (mark) result.failed.add(path.join(' > '));
  }
  return result.toStatusMap();
};
