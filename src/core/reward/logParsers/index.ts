/** The one registry of log parsers, keyed by test framework: adding a framework is a parser file and a line here. */

import type { TestFramework } from '../../task/task';
import type { LogParser, StatusMap } from '../testStatus';
import { parseGoTestJsonLog } from './goTestJsonParser';
import { parseJestJsonLog } from './jestJsonParser';
import { parseJunitXmlLog } from './junitXmlParser';
import { parseNodeTapLog } from './nodeTapParser';
import { parsePytestLog } from './pytestParser';
import { parseUnittestLog } from './unittestParser';

export const LOG_PARSERS: Record<TestFramework, LogParser> = {
  pytest: parsePytestLog,
  unittest: parseUnittestLog,
  'node-tap': parseNodeTapLog,
  'jest-json': parseJestJsonLog,
  'go-test-json': parseGoTestJsonLog,
  'junit-xml': parseJunitXmlLog,
};

export function parseTestLog(framework: TestFramework, log: string): StatusMap {
  return LOG_PARSERS[framework](log);
}
