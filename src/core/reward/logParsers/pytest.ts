/**
 * pytest, read the way the harness reads it for each repository family: the `-rA` short summary
 * (`STATUS id`), or for older runs the verbose lines (`id STATUS`). Ids end at the first space, as the
 * harness cuts them (and SWE-bench's datasets store them cut); `pytest_v2` keeps the whole rest of the line.
 */

import { LogParseError, type LogParser, type ParseContext, type StatusMap } from '../testStatus';
import { before, lines, words } from './text';

const STATUS_WORDS = ['FAILED', 'PASSED', 'SKIPPED', 'ERROR', 'XFAIL'];

function startsWithStatus(line: string): boolean {
  return STATUS_WORDS.some((status) => line.startsWith(status));
}

function endsWithStatus(line: string): boolean {
  return STATUS_WORDS.some((status) => line.endsWith(status));
}

/** `SKIPPED [2] tests/x.py:10: reason` names a count, not a test; the harness skips it since 5.0. */
function isSkipCount(status: string, name: string, context: ParseContext): boolean {
  return context.harnessVersion >= 5 && status === 'SKIPPED' && /^\[\d+\]$/.test(name);
}

interface SummaryOptions {
  rewriteLine?: (line: string) => string;
  renameId?: (id: string) => string;
}

/** The `-rA` summary, ids cut at the first space; a FAILED line's ` - ` separators become spaces first. */
function summaryLines(log: string, context: ParseContext, options: SummaryOptions = {}): StatusMap {
  const statuses: StatusMap = new Map();
  for (const raw of lines(log)) {
    let line = options.rewriteLine?.(raw) ?? raw;
    if (!startsWithStatus(line)) continue;
    if (line.startsWith('FAILED')) line = line.replaceAll(' - ', ' ');
    const [status, id] = words(line);
    if (id === undefined || isSkipCount(status, id, context)) continue;
    statuses.set(options.renameId?.(id) ?? id, status);
  }
  return statuses;
}

export const parsePytest: LogParser = (log, context) => summaryLines(log, context);

/** matplotlib's ids name mouse buttons by number, where newer pytest prints the enum. */
export const parseMatplotlib: LogParser = (log, context) =>
  summaryLines(log, context, {
    rewriteLine: (line) => line.replaceAll('MouseButton.LEFT', '1').replaceAll('MouseButton.RIGHT', '3'),
  });

/**
 * requests, pydicom and pylint: a parameter that is an absolute path (`[/tmp/x/y.py]`) is shortened to its
 * last part (`[/y.py]`), since the path differs between machines.
 */
export const parsePytestOptions: LogParser = (log, context) =>
  summaryLines(log, context, { renameId: shortenPathParameter });

function shortenPathParameter(id: string): string {
  const parametrized = /(.*?)\[(.*)\]/.exec(id);
  if (!parametrized) return id;
  const [, name, parameters] = parametrized;
  const shortened =
    parameters.startsWith('/') && !parameters.startsWith('//') && !parameters.includes('*')
      ? `/${parameters.split('/').at(-1)}`
      : parameters;
  return `${name}[${shortened}]`;
}

/** Colour codes as the harness removes them: the `[NNm` text, then every control character. */
function withoutColour(line: string): string {
  return line.replace(/\[(\d+)m/g, '').replace(/[\x01-\x1f]/g, '');
}

/**
 * astropy, scikit-learn and sphinx: colour codes removed, and both the summary and the verbose form. Since
 * 5.0 an id runs to the end of the line (spaces kept) and a FAILED line's message is cut off at ` - `.
 */
export const parsePytestV2: LogParser = (log, context) => {
  const statuses: StatusMap = new Map();
  const current = context.harnessVersion >= 5;
  for (const raw of lines(log)) {
    let line = withoutColour(raw);
    if (startsWithStatus(line)) {
      if (line.startsWith('FAILED')) line = current ? before(line, ' - ') : line.replaceAll(' - ', ' ');
      const parts = words(line);
      if (parts.length < 2 || isSkipCount(parts[0], parts[1], context)) continue;
      statuses.set(current ? parts.slice(1).join(' ') : parts[1], parts[0]);
    } else if (endsWithStatus(line)) {
      const parts = words(line);
      if (parts.length < 2) continue;
      if (current) statuses.set(parts.slice(0, -1).join(' '), parts[parts.length - 1]);
      else statuses.set(parts[0], parts[1]);
    }
  }
  return statuses;
};

/**
 * seaborn: FAILED and PASSED summary lines and `id PASSED …` verbose lines. Harness 4 fails on a line that
 * holds one of those words and nothing else.
 */
export const parseSeaborn: LogParser = (log, context) => {
  const statuses: StatusMap = new Map();
  for (const line of lines(log)) {
    const parts = words(line);
    const relevant = line.startsWith('FAILED') || line.includes(' PASSED ') || line.startsWith('PASSED');
    if (parts.length < 2) {
      if (relevant && context.harnessVersion < 5)
        throw new LogParseError(`harness 4's seaborn parser fails on the line '${line}'`);
      continue;
    }
    if (line.startsWith('FAILED')) statuses.set(parts[1], 'FAILED');
    else if (line.includes(' PASSED ')) {
      if (parts[1] === 'PASSED') statuses.set(parts[0], 'PASSED');
    } else if (line.startsWith('PASSED')) statuses.set(parts[1], 'PASSED');
  }
  return statuses;
};
