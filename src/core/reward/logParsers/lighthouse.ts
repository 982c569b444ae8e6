/**
 * Lighthouse's runs, read three ways by the task's version as the harness reads them:
 * - 9.5, 10.0 and 10.2: its mocha runs, each after `running N test files` up to `N passing`; `✔ name` passed,
 *   `1) name` failed (a `(5ms)` duration dropped), named by the open describe blocks joined with ` - `;
 * - other versions from 3 on: Jest's per-file `PASS` / `FAIL` lines, as Carbon's;
 * - older ones: mocha's JSON reporter after `./node_modules/.bin/mocha --reporter json`, each `"fullTitle"`
 *   line of the `passes` and then the `failures` array taken as it is written (JSON escapes kept).
 */

import { LogParseError, type LogParser, type StatusMap } from '../testStatus';
import { IndentedBlocks } from './indentedBlocks';
import { parseCarbon } from './jestFileResults';
import { lines, strip } from './text';

const MOCHA_VERSIONS = ['9.5', '10.0', '10.2'];
const RESULTS: [RegExp, string][] = [
  [/^✔\s([^\n]*)\s\(\d+m+s\)/, 'PASSED'],
  [/^✔\s([^\n]*)/, 'PASSED'],
  [/^\d+\)\s([^\n]*)\s\(\d+m+s\)/, 'FAILED'],
  [/^\d+\)\s([^\n]*)/, 'FAILED'],
];
const JSON_COMMAND = './node_modules/.bin/mocha --reporter json';
const FULL_TITLE = /"fullTitle":\s"([^\n]*)",\n/g;

function parseMochaRuns(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const run of log.split(/running\s\d+\stest\sfiles/).slice(1)) {
    const blocks = new IndentedBlocks();
    for (const line of lines(strip(run.split(/\d+\spassing/)[0]))) {
      const found = RESULTS.map(([pattern, status]) => [pattern.exec(strip(line)), status] as const).find(
        ([match]) => match !== null,
      );
      if (found?.[0]) statuses.set([...blocks.names(), found[0][1]].join(' - '), found[1]);
      else blocks.see(line);
    }
  }
  return statuses;
}

/** Python's `text.split(separator)[-1]`. */
function afterLast(text: string, separator: string): string {
  const at = text.lastIndexOf(separator);
  return at < 0 ? text : text.slice(at + separator.length);
}

/** Python's `text.rsplit(separator, 1)[0]`. */
function beforeLast(text: string, separator: string): string {
  const at = text.lastIndexOf(separator);
  return at < 0 ? text : text.slice(0, at);
}

function parseMochaJson(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const output of log.split(JSON_COMMAND).slice(1)) {
    for (const match of beforeLast(afterLast(output, '"passes": ['), ']').matchAll(FULL_TITLE))
      statuses.set(match[1], 'PASSED');
    for (const match of beforeLast(afterLast(output, '"failures": ['), '],').matchAll(FULL_TITLE))
      statuses.set(match[1], 'FAILED');
  }
  return statuses;
}

/** Python's `float(version)`, which fails on anything that is not a number. */
function versionNumber(version: string | undefined): number {
  const text = strip(version ?? '');
  if (!/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$/.test(text))
    throw new LogParseError(`the harness's Lighthouse parser needs a numeric version, not '${version ?? ''}'`);
  return Number(text.replaceAll('_', ''));
}

export const parseLighthouse: LogParser = (log, context) => {
  if (context.version !== undefined && MOCHA_VERSIONS.includes(context.version)) return parseMochaRuns(log);
  if (versionNumber(context.version) >= 3) return parseCarbon(log, context);
  return parseMochaJson(log);
};
