/** Cucumber with `--format progress`: `Scenario name ......F` lines; the first step mark after the dots decides. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^([^\n]*) \.+(\.|F)/;

export const parseCucumber: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, name, step]) => [name, step === '.' ? 'PASSED' : 'FAILED']);
