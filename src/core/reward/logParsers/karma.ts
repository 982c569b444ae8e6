/**
 * Karma with a spec-style reporter: after `Starting browser`, describe blocks by indentation and `✔ name` /
 * `✖ name` results until `SUMMARY:`; the id is the open blocks and the name joined with ` > `. The harness
 * tracks one indent level, so a block is closed only by a line indented less than the last one.
 */

import { LogParseError, type LogParser, type StatusMap } from '../testStatus';
import { lines } from './text';

const LINE = /^(\s*)?([✔✖])?\s([^\n]*)$/;

export const parseKarma: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const suite: string[] = [];
  let indent = -1;
  let started = false;
  for (const line of lines(log)) {
    if (line.startsWith('SUMMARY:')) break;
    if (line.includes('Starting browser')) {
      started = true;
      continue;
    }
    const match = started ? LINE.exec(line) : null;
    if (!match) continue;
    const [, leading, mark, name] = match;
    if (leading && !mark) {
      if (leading.length > indent) {
        indent = leading.length;
        suite.push(name);
      } else if (leading.length < indent) {
        indent = leading.length;
        if (suite.pop() === undefined)
          throw new LogParseError(`the harness's Karma parser fails on the line '${line}'`);
        continue;
      }
    }
    if (mark) statuses.set([...suite, name].join(' > '), mark === '✔' ? 'PASSED' : 'FAILED');
  }
  return statuses;
};
