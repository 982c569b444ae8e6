/**
 * Generic JUnit XML (pytest `--junitxml`, Maven Surefire, go-junit-report, jest-junit…), found anywhere in
 * the log: a test's id is `classname.name`, or `name` when there is no class name.
 */

import type { LogParser, StatusMap, TestStatus } from '../testStatus';

const TEST_CASE = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
const ATTRIBUTE = /([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

function attributes(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) result[match[1]] = unescapeXml(match[2] ?? match[3]);
  return result;
}

function statusOf(body: string | undefined): TestStatus {
  if (!body) return 'PASSED';
  if (/<error\b/.test(body)) return 'ERROR';
  if (/<failure\b/.test(body)) return 'FAILED';
  if (/<skipped\b/.test(body)) return /<skipped\b[^>]*type="pytest.xfail"/.test(body) ? 'XFAIL' : 'SKIPPED';
  return 'PASSED';
}

export const parseJunitXml: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const match of log.matchAll(TEST_CASE)) {
    const { classname, name } = attributes(match[1]);
    if (name === undefined) continue;
    statuses.set(classname ? `${classname}.${name}` : name, statusOf(match[2]));
  }
  return statuses;
};
