/**
 * Multi-SWE-bench's readings of mocha's JSON reporter (material-ui, express): the log, cut and cleaned per
 * repository and its lines joined, holds reports; every JSON object that starts at a `{` is one (an object that is
 * not a whole report makes the harness's parser raise). A failure anywhere wins over a pass or a skip, a skip over a
 * pass.
 *
 * The harness decodes each report into typed records, so a report missing a field, or with a count that is not a
 * whole number, is refused here as there. Where a field a test is named by is not a string (the harness would write
 * Python's text of it), the log is refused rather than read.
 */

import { LogParseError, type LogParser } from '../../testStatus';
import { TestResultSets } from './testResult';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REPORT_FIELDS = ['stats', 'tests', 'pending', 'failures', 'passes'];
const STATS_FIELDS = ['suites', 'tests', 'passes', 'pending', 'failures', 'start', 'end', 'duration'];
const STATS_COUNTS = ['suites', 'tests', 'passes', 'pending', 'failures', 'duration'];

/** How one repository's reading differs: what of the log it reads, a test's fields, and a test's name. */
interface JsonReportReading {
  reportsIn(log: string): string;
  testFields: string[];
  /** The name's fields, joined by `:`; a name field that is not a string is refused (the harness would write its Python text). */
  nameFields: string[];
}

function refused(reason: string): never {
  throw new LogParseError(`a mocha JSON report ${reason} (Multi-SWE-bench's harness refuses such a log)`);
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object that starts at `start` (a `{`) and where it ends, or nothing when none starts there. */
function jsonObjectAt(text: string, start: number): { value: { [key: string]: Json }; end: number } | undefined {
  let depth = 0;
  let inString = false;
  for (let at = start; at < text.length; at++) {
    const character = text[at];
    if (inString) {
      if (character === '\\') at++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') {
      depth--;
      if (depth === 0) {
        try {
          return { value: JSON.parse(text.slice(start, at + 1)) as { [key: string]: Json }, end: at + 1 };
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

/** Every JSON object in the text, each searched for from the end of the last one found. */
function* jsonObjects(text: string): Generator<{ [key: string]: Json }> {
  let from = 0;
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', from)) {
    const found = jsonObjectAt(text, start);
    from = found ? found.end : start + 1;
    if (found) yield found.value;
  }
}

/** Whether Python's `int()` takes the value (a JSON null is let through, as the harness lets it through). */
function isWholeNumberLike(value: Json | undefined): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value);
}

function requireFields(record: { [key: string]: Json }, fields: string[], what: string): void {
  for (const field of fields) if (!(field in record)) refused(`has ${what} without '${field}'`);
}

/** A test record as the harness decodes it: null, or an object with its fields (any other value is refused). */
function checkTest(test: Json, fields: string[]): void {
  if (test === null) return;
  if (!isObject(test)) refused('lists a test that is not an object');
  requireFields(test, fields, 'a test');
  if (!isWholeNumberLike(test.currentRetry)) refused("has a test whose 'currentRetry' is not a whole number");
  if (test.err !== null && !isObject(test.err)) refused("has a test whose 'err' is not an object");
  if (test.duration !== undefined && !isWholeNumberLike(test.duration))
    refused("has a test whose 'duration' is not a whole number");
}

/** The elements of a list field as Python iterates its value (a string by character, an object by key). */
function elements(report: { [key: string]: Json }, field: string): Json[] {
  const value = report[field];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isObject(value)) return Object.keys(value);
  return refused(`has a '${field}' that is not a list`);
}

function testName(test: Json, fields: string[]): string {
  if (!isObject(test)) return refused('lists null as a test');
  const parts = fields.map((field) => test[field]);
  if (!parts.every((part) => typeof part === 'string'))
    throw new LogParseError(`a mocha JSON report names a test by a '${fields.join("' or '")}' that is not a string`);
  return parts.join(':');
}

function jsonReports({ reportsIn, testFields, nameFields }: JsonReportReading): LogParser {
  return (log) => {
    const text = reportsIn(log).replaceAll('\r\n', '').replaceAll('\n', '');
    const result = new TestResultSets();
    for (const report of jsonObjects(text)) {
      requireFields(report, REPORT_FIELDS, 'an object');
      const { stats } = report;
      if (stats !== null) {
        if (!isObject(stats)) refused("has 'stats' that is not an object");
        requireFields(stats, STATS_FIELDS, "'stats'");
        for (const count of STATS_COUNTS)
          if (!isWholeNumberLike(stats[count])) refused(`has a 'stats.${count}' that is not a whole number`);
      }
      const lists = Object.fromEntries(
        ['tests', 'pending', 'failures', 'passes'].map((field) => [field, elements(report, field)]),
      );
      for (const test of Object.values(lists).flat()) checkTest(test, testFields);
      for (const test of lists.passes) result.passed.add(testName(test, nameFields));
      for (const test of lists.failures) result.failed.add(testName(test, nameFields));
      for (const test of lists.pending) result.skipped.add(testName(test, nameFields));
    }
    for (const test of result.failed) {
      result.passed.delete(test);
      result.skipped.delete(test);
    }
    for (const test of result.skipped) result.passed.delete(test);
    return result.toStatusMap();
  };
}

/** material-ui: the log from its first `Building new` on, yarn's `error Command failed…` taken out; `FILE:FULL TITLE`. */
export const parseMultiSweBenchMochaJsonReports = jsonReports({
  reportsIn: (log) => {
    const building = log.indexOf('Building new');
    return (building >= 0 ? log.slice(building) : log).replace(/error Command failed with exit code \d+\./g, '');
  },
  testFields: ['title', 'fullTitle', 'file', 'currentRetry', 'err'],
  nameFields: ['file', 'fullTitle'],
});

/** express: the whole log, its lines of `=` and its `Writing …` lines emptied; a test named by its full title. */
export const parseMultiSweBenchMochaJson = jsonReports({
  reportsIn: (log) => log.replace(/(?<=^|\n)(?:=+|Writing [^\n]*)(?=\n|$)/g, ''),
  testFields: ['title', 'fullTitle', 'currentRetry', 'err'],
  nameFields: ['fullTitle'],
});
