/** `go test -json`: one JSON event a line; the last pass/fail/skip event of each test decides. */

import type { StatusMap, TestStatus } from '../testStatus';

const ACTIONS: Record<string, TestStatus> = { pass: 'PASSED', fail: 'FAILED', skip: 'SKIPPED' };

export function parseGoTestJsonLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: { Action?: string; Test?: string };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue;
    }
    const status = event.Action ? ACTIONS[event.Action] : undefined;
    if (event.Test && status) statuses.set(event.Test, status);
  }
  return statuses;
}
