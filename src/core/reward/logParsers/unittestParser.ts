/**
 * `python -m unittest -v` (and Django's runner): `name (module.Class) ... ok|FAIL|ERROR|skipped …`.
 * A test with a docstring prints its first docstring line before ` ... `, which then is its id (the
 * harness's convention). Output printed by a test can push the outcome to a later line.
 */

import type { StatusMap, TestStatus } from '../testStatus';

const OUTCOMES: [RegExp, TestStatus][] = [
  [/^ok$/i, 'PASSED'],
  [/^FAIL$/, 'FAILED'],
  [/^ERROR$/, 'ERROR'],
  [/^skipped\b/, 'SKIPPED'],
  [/^expected failure$/, 'XFAIL'],
  [/^unexpected success$/, 'FAILED'],
];

function outcomeOf(text: string): TestStatus | undefined {
  return OUTCOMES.find(([pattern]) => pattern.test(text.trim()))?.[1];
}

export function parseUnittestLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  let pending: string | undefined;
  for (const rawLine of log.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trimEnd();
    const separator = line.indexOf(' ... ');
    if (separator > 0) {
      const id = line.slice(0, separator).trim();
      const outcome = outcomeOf(line.slice(separator + 5));
      if (outcome) {
        statuses.set(id, outcome);
        pending = undefined;
      } else pending = id;
      continue;
    }
    const failureHeader = /^(FAIL|ERROR): (.+)$/.exec(line);
    if (failureHeader) {
      if (!statuses.has(failureHeader[2]))
        statuses.set(failureHeader[2], failureHeader[1] === 'FAIL' ? 'FAILED' : 'ERROR');
      continue;
    }
    const lateOutcome = outcomeOf(line);
    if (pending && lateOutcome) {
      statuses.set(pending, lateOutcome);
      pending = undefined;
    }
  }
  return statuses;
}
