/**
 * What Multi-SWE-bench's log parsers give: three sets of test names (passed, failed, skipped) that may not share a
 * name. Its harness refuses a result whose sets overlap, so the same log is refused here (no status map).
 */

import { LogParseError, type StatusMap } from '../../testStatus';

export class TestResultSets {
  readonly passed = new Set<string>();
  readonly failed = new Set<string>();
  readonly skipped = new Set<string>();

  toStatusMap(): StatusMap {
    const statuses: StatusMap = new Map();
    const sets: [Set<string>, string][] = [
      [this.passed, 'PASSED'],
      [this.failed, 'FAILED'],
      [this.skipped, 'SKIPPED'],
    ];
    for (const [tests, status] of sets) {
      for (const test of tests) {
        const earlier = statuses.get(test);
        if (earlier)
          throw new LogParseError(
            `the test '${test}' is both ${earlier.toLowerCase()} and ${status.toLowerCase()} in this log (Multi-SWE-bench's harness refuses such a result)`,
          );
        statuses.set(test, status);
      }
    }
    return statuses;
  }
}

/** A parser met a line it cannot place (a test before any suite), as Multi-SWE-bench's parser raises on it. */
export function unreadableLine(reason: string, line: string): never {
  throw new LogParseError(`${reason}: ${line}`);
}
