/**
 * Jest's `--json` report turned into lines by `jq` in the harness's test command:
 * `[PASSED] describe > title` / `[FAILED] …`, so tests of the same title in different blocks stay apart.
 */

import type { LogParser } from '../testStatus';
import { statusesOfLines } from './text';

const RESULT = /^\[(PASSED|FAILED)\]\s([^\n]+)$/;

export const parseJestJson: LogParser = (log) => statusesOfLines(log, RESULT, ([, status, name]) => [name, status]);
