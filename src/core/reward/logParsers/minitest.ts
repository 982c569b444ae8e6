/** Minitest verbose (`-v`): `Class#test_name = 0.01 s = .` lines, `.` passed, `F` or `E` failed. */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^([^\n]+)\. [^\n]*=[^\n]*(\.|F|E)[^\n]*$/;

export const parseMinitest: LogParser = (log) =>
  statusesOfLines(log, RESULT, ([, name, outcome]) => [name, outcome === '.' ? 'PASSED' : 'FAILED']);
