/**
 * Node's test runner with `--test-reporter=tap`: nested `# Subtest:` blocks indented four spaces a level.
 * A test's id is its name, prefixed by its parents' names joined with ` > `. Older Node versions wrap
 * each test file in a subtest named by its path; that level is left out of the ids.
 */

import type { LogParser, StatusMap, TestStatus } from '../testStatus';

const RESULT_LINE = /^( *)(not ok|ok) \d+(?: - (.*?))?(?: # (SKIP|TODO)\b.*)?$/i;
const SUBTEST_LINE = /^( *)# Subtest: (.*)$/;

function isFilePath(name: string): boolean {
  return /^(\/|[A-Za-z]:\\|file:)/.test(name) || /\.(?:[cm]?js|[cm]?ts)$/.test(name);
}

/** TAP escapes `#` and `\` in names. */
function unescapeName(name: string): string {
  return name.replace(/\\([#\\])/g, '$1');
}

export const parseNodeTap: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  /** Names of the open subtests by nesting level. */
  const open: string[] = [];
  for (const rawLine of log.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const subtest = SUBTEST_LINE.exec(line);
    if (subtest) {
      const level = Math.floor(subtest[1].length / 4);
      open.length = level;
      open[level] = unescapeName(subtest[2].trim());
      continue;
    }
    const result = RESULT_LINE.exec(line);
    if (!result) continue;
    const level = Math.floor(result[1].length / 4);
    const name = unescapeName((result[3] ?? open[level] ?? '').trim());
    const parents = open.slice(0, level).filter((parent, index) => !(index === 0 && isFilePath(parent)));
    open.length = level;
    if (level === 0 && isFilePath(name)) continue;
    const directive = result[4]?.toUpperCase();
    const status: TestStatus = directive ? 'SKIPPED' : result[2].toLowerCase() === 'ok' ? 'PASSED' : 'FAILED';
    statuses.set([...parents, name].join(' > '), status);
  }
  return statuses;
};
