/**
 * PHPUnit with `--testdox`: a class heading `Name (Fully\Qualified\Name)`, then `✔ test`, `✘ test` and
 * `↩ test` lines; a test's id is `Name > test`.
 */

import type { LogParser, StatusMap } from '../testStatus';
import { lines } from './text';

const SUITE = /^(\w[^\n]+) \([^\n]+\)$/;
const RESULT = /^\s*([✔✘↩])\s*([^\n]*)$/;
const STATUSES: Record<string, string> = { '✔': 'PASSED', '✘': 'FAILED', '↩': 'SKIPPED' };

export const parsePhpunit: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  let suite: string | undefined;
  for (const line of lines(log)) {
    const heading = SUITE.exec(line);
    if (heading) {
      suite = heading[1];
      continue;
    }
    const result = RESULT.exec(line);
    if (result) statuses.set(`${suite ?? 'None'} > ${result[2]}`, STATUSES[result[1]]);
  }
  return statuses;
};
