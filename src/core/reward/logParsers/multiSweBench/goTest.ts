/**
 * Multi-SWE-bench's reading of `go test -v`: `--- PASS:`, `--- FAIL:` and `--- SKIP:` lines, and a package's
 * `FAIL` line. A name once failed is never passed again; a skip counts only for a test already failed (the
 * harness's rule, kept: its result is then refused, as both failed and skipped).
 */

import type { LogParser } from '../../testStatus';
import { splitLines, strip } from '../text';
import { TestResultSets } from './testResult';

const PASSED = /^--- PASS: (\S+)/;
const FAILED = [/^--- FAIL: (\S+)/, /^FAIL:?\s?(.+?)\s/];
const SKIPPED = /^--- SKIP: (\S+)/;

/** `nameOf` gives the name a test is recorded under; the set checks use the name as printed, as the harness does. */
function goTestParser(nameOf: (test: string) => string): LogParser {
  return (log) => {
    const result = new TestResultSets();
    const { passed, failed, skipped } = result;
    for (const line of splitLines(log).map(strip)) {
      const pass = PASSED.exec(line)?.[1];
      if (pass !== undefined && !failed.has(pass)) {
        skipped.delete(pass);
        passed.add(nameOf(pass));
      }
      for (const pattern of FAILED) {
        const fail = pattern.exec(line)?.[1];
        if (fail === undefined) continue;
        passed.delete(fail);
        skipped.delete(fail);
        failed.add(nameOf(fail));
      }
      const skip = SKIPPED.exec(line)?.[1];
      if (skip !== undefined && !passed.has(skip) && failed.has(skip)) skipped.add(nameOf(skip));
    }
    return result.toStatusMap();
  };
}

/** Every test, subtests included, by the name `go test` prints. */
export const parseMultiSweBenchGoTest = goTestParser((test) => test);

/** A subtest recorded as its parent (the name up to its last `/`). */
export const parseMultiSweBenchGoTestParent = goTestParser((test) => {
  const slash = test.lastIndexOf('/');
  return slash < 0 ? test : test.slice(0, slash);
});
