/**
 * Jest `--json` and Vitest `--reporter=json` (the same shape): `testResults[].assertionResults[]`.
 * A test's id is its describe titles and its own title joined with ` > `.
 */

import type { StatusMap, TestStatus } from '../testStatus';

interface AssertionResult {
  ancestorTitles?: string[];
  title: string;
  status: string;
}

interface JestReport {
  testResults: { assertionResults?: AssertionResult[] }[];
}

const STATUSES: Record<string, TestStatus> = {
  passed: 'PASSED',
  failed: 'FAILED',
  pending: 'SKIPPED',
  skipped: 'SKIPPED',
  todo: 'SKIPPED',
  disabled: 'SKIPPED',
};

/** The report is one JSON line among whatever else the command printed. */
function findReport(log: string): JestReport | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"testResults"')) continue;
    try {
      return JSON.parse(line) as JestReport;
    } catch {
      continue;
    }
  }
  try {
    return JSON.parse(log) as JestReport;
  } catch {
    return undefined;
  }
}

export function parseJestJsonLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const file of findReport(log)?.testResults ?? []) {
    for (const assertion of file.assertionResults ?? []) {
      statuses.set(
        [...(assertion.ancestorTitles ?? []), assertion.title].join(' > '),
        STATUSES[assertion.status] ?? 'ERROR',
      );
    }
  }
  return statuses;
}
