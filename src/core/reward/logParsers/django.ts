/**
 * Django's test runner, which is unittest's verbose output (`name (module.Class) ... ok`), as the harness
 * reads it: the text before ` ... ` is the id, an outcome printed on a later line (`ok` after a test's own
 * output) belongs to the last test named, and three known interruptions of Django's own logging are
 * recognised across lines. A `FAIL:` / `ERROR:` header names only the test's first word.
 */

import { LogParseError, type LogParser, type StatusMap } from '../testStatus';
import { before, lines, strip, stripStart, words } from './text';

const PASS_SUFFIXES = [' ... ok', ' ... OK', ' ...  OK'];
// One test of django__django-7188 prints a migration step on its own line before its name.
const MIGRATION_PREFIX = 'Applying sites.0002_alter_domain_unique...test_no_migrations';
const VERSION_TEST = '--version is equivalent to version';

/** Django output that can come between a test's name and its `ok` (the `...` of a start-of-line anchor, `$` of an end one). */
const INTERRUPTED_PASSES = [
  /(?<![^\n])([^\n]*?)\s\.\.\.\sTesting against Django installed in ([\s\S]*?) silenced\)\.\nok(?![^\n])/g,
  /(?<![^\n])([^\n]*?)\s\.\.\.\sInternal Server Error: \/([^\n]*)\/\nok(?![^\n])/g,
  /(?<![^\n])([^\n]*?)\s\.\.\.\sSystem check identified no issues \(0 silenced\)\nok(?![^\n])/g,
];

function headerName(line: string): string {
  const name = words(line)[1];
  if (name === undefined) throw new LogParseError(`the harness's Django parser fails on the line '${line}'`);
  return strip(name);
}

export const parseDjango: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  let previous: string | undefined;
  for (const raw of lines(log)) {
    let line = strip(raw);
    if (line.includes(VERSION_TEST)) statuses.set(VERSION_TEST, 'PASSED');
    if (line.includes(' ... ')) previous = before(line, ' ... ');
    for (const suffix of PASS_SUFFIXES) {
      if (!line.endsWith(suffix)) continue;
      if (line.startsWith(MIGRATION_PREFIX)) line = strip(line.slice(line.indexOf('...') + 3));
      statuses.set(line.slice(0, line.lastIndexOf(suffix)), 'PASSED');
      break;
    }
    if (line.includes(' ... skipped')) statuses.set(before(line, ' ... skipped'), 'SKIPPED');
    if (line.endsWith(' ... FAIL')) statuses.set(before(line, ' ... FAIL'), 'FAILED');
    if (line.startsWith('FAIL:')) statuses.set(headerName(line), 'FAILED');
    if (line.endsWith(' ... ERROR')) statuses.set(before(line, ' ... ERROR'), 'ERROR');
    if (line.startsWith('ERROR:')) statuses.set(headerName(line), 'ERROR');
    if (stripStart(line).startsWith('ok') && previous !== undefined) statuses.set(previous, 'PASSED');
  }
  for (const pattern of INTERRUPTED_PASSES) for (const match of log.matchAll(pattern)) statuses.set(match[1], 'PASSED');
  return statuses;
};
