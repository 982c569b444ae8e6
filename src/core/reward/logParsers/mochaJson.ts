/** Prism's runs of mocha's JSON reporter: each report after the test command, `passes` and `failures` by full title. */

import { LogParseError, type LogParser, type StatusMap } from '../testStatus';
import { splitOnce } from './text';

const TEST_COMMAND = './node_modules/.bin/mocha tests/run.js --reporter json';

interface MochaReport {
  passes: { fullTitle: string }[];
  failures: { fullTitle: string }[];
}

export const parsePrismjs: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  for (const output of log.split(TEST_COMMAND).slice(1)) {
    const afterBrace = splitOnce(output, '{').at(-1) as string;
    const body = afterBrace.lastIndexOf('}') < 0 ? afterBrace : afterBrace.slice(0, afterBrace.lastIndexOf('}'));
    let report: MochaReport;
    try {
      report = JSON.parse(`{${body}}`) as MochaReport;
    } catch (error) {
      throw new LogParseError(`the mocha JSON report after '${TEST_COMMAND}' is not JSON: ${(error as Error).message}`);
    }
    for (const test of report.failures) statuses.set(test.fullTitle, 'FAILED');
    for (const test of report.passes) statuses.set(test.fullTitle, 'PASSED');
  }
  return statuses;
};
