/**
 * Calypso's Jest runs with `--verbose`: each output after ` ./node_modules/.bin/jest `, read until its first
 * `Test Suites` line or failure detail (`  ● `). Describe blocks by indentation, `✓ name` / `✕ name`; the id
 * is the open blocks and the name joined with ` - `, a duration in `(5ms)` form dropped (Jest 29's `(5 ms)`
 * stays in the name, as in the harness). A block is closed by any later line indented no deeper than it.
 */

import { LogParseError, type LogParser, type StatusMap } from '../testStatus';
import { IndentedBlocks } from './indentedBlocks';
import { lines, strip } from './text';

const JEST_COMMAND = ' ./node_modules/.bin/jest ';
const MARKS: [mark: string, status: string][] = [
  ['✓', 'PASSED'],
  ['✕', 'FAILED'],
];

/** The result's name, as the harness's pattern for that line takes it. */
function resultName(line: string, mark: string): string {
  const pattern = /\(\d+ms\)/.test(line)
    ? new RegExp(`^\\s+${mark}\\s([^\\n]*)\\(\\d+ms\\)$`)
    : new RegExp(`^\\s+${mark}\\s([^\\n]*)`);
  const match = pattern.exec(line);
  if (!match) throw new LogParseError(`the harness's Calypso parser fails on the line '${line}'`);
  return match[1];
}

export const parseCalypso: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const blocks = new IndentedBlocks();
  for (const output of log.split(JEST_COMMAND).slice(1)) {
    for (const line of lines(output)) {
      if (line.startsWith('Test Suites') || line.startsWith('  ● ')) break;
      const result = MARKS.find(([mark]) => strip(line).startsWith(mark));
      if (result) {
        const [mark, status] = result;
        statuses.set(strip([blocks.names().join(' - '), resultName(line, mark)].join(' - ')), status);
      } else blocks.see(line);
    }
  }
  return statuses;
};
