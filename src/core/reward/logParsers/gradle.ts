/**
 * Gradle with the harness's test logging settings: `com.example.Test > testMethod PASSED|FAILED`. Since 5.0 a
 * name and its outcome may be split over two lines by output that came in between.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines, strip } from './text';

const RESULT = /^([^>\n][^\n]+)\s+(PASSED|FAILED)$/;
const NAME_ONLY = /^([^>\n]\S*\s+>\s+\S+)$/;
const OUTCOME_ONLY = /^(PASSED|FAILED)$/;

export const parseGradleCustom: LogParser = (log, context) => {
  const statuses: StatusMap = new Map();
  let pending: string | undefined;
  for (const raw of lines(log)) {
    const line = strip(raw);
    const result = RESULT.exec(line);
    if (result) {
      statuses.set(result[1], result[2]);
      pending = undefined;
      continue;
    }
    if (context.harnessVersion < 5) continue;
    const name = NAME_ONLY.exec(line);
    if (name) {
      pending = name[1];
      continue;
    }
    const outcome = pending === undefined ? null : OUTCOME_ONLY.exec(line);
    if (outcome) {
      statuses.set(pending as string, outcome[1]);
      pending = undefined;
    }
  }
  return statuses;
};
