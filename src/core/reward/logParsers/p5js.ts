/**
 * p5.js's Grunt runs of its mocha suites (spec reporter), read as the harness reads them: only failures
 * count (the repository is graded FAIL_ONLY). Colour codes are dropped, then whatever the tests logged
 * that looks like a JSON object or list (a line that opens one up to the line that closes it) and every
 * `<tag>…</tag>` element; what is left is searched for mocha's numbered failure headings, `1) Suite`
 * with the nested describe blocks and the test on lines each indented deeper than the last, up to the
 * first colon. The id is those lines, trimmed, joined with `:` (a title with a colon in it is cut there).
 */

import type { LogParser, StatusMap } from '../testStatus';
import { PY_WORD_CHARACTER, lines, strip, stripAnsi, stripEnd, stripStart } from './text';

/** Drops the lines from one that ends with `{` (or `[`) to the next that is only `}` (or `]`), and one-line objects. */
function withoutJsonBlocks(log: string): string {
  const kept: string[] = [];
  let inObject = false;
  let inList = false;
  for (const line of lines(log)) {
    const trimmed = stripEnd(line);
    if (trimmed.endsWith('{')) inObject = true;
    else if (trimmed.endsWith('[')) inList = true;
    else if (trimmed === '}' && inObject) inObject = false;
    else if (trimmed === ']' && inList) inList = false;
    else if (inObject || inList) continue;
    else if (trimmed.startsWith('{') && trimmed.endsWith('}')) continue;
    else if (trimmed.startsWith('[') && trimmed.endsWith(']')) continue;
    else kept.push(line);
  }
  return kept.join('\n');
}

const ELEMENT = new RegExp(`<(${PY_WORD_CHARACTER}+)>[\\s\\S]*?</\\1>`, 'u');

/**
 * Drops `<tag>…</tag>` elements, the first one found each time, until none is left; an element that
 * opened the same tag again inside leaves those inner openings behind (they may close later).
 */
function withoutElements(log: string): string {
  let text = log;
  for (let match = ELEMENT.exec(text); match; match = ELEMENT.exec(text)) {
    const opening = `<${match[1]}>`;
    const innerOpenings = Math.max(match[0].split(opening).length - 2, 0);
    text = text.slice(0, match.index) + opening.repeat(innerOpenings) + text.slice(match.index + match[0].length);
  }
  return text;
}

/** A numbered heading: `N)` at a line's start, then up to 1,000 characters (lines included) before a colon. */
const FAILURE_HEADING = /(?<![^\n])\s*\d+\)([\s\S]{0,1000}?):/g;

/** Each line of the heading indented deeper than the one before (the first deeper than none). */
function isNestedHeading(heading: string): boolean {
  let lastIndent = 0;
  for (const line of lines(heading)) {
    const indent = line.length - stripStart(line).length;
    if (indent <= lastIndent) return false;
    lastIndent = indent;
  }
  return true;
}

export const parseP5js: LogParser = (log) => {
  const statuses: StatusMap = new Map();
  const text = withoutElements(withoutJsonBlocks(stripAnsi(log)));
  for (const match of text.matchAll(FAILURE_HEADING)) {
    if (isNestedHeading(match[1])) statuses.set(lines(match[1]).map(strip).join(':'), 'FAILED');
  }
  return statuses;
};
