/**
 * RSpec's JSON report turned into lines by `jq` in the harness's test command:
 * `description - ./spec/x_spec.rb[1:2] - passed|failed`.
 */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^([^\n]+) - (passed|failed)/;

export const parseRspecTransformedJson: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, name, status]) => [name, status === 'passed' ? 'PASSED' : 'FAILED']);
