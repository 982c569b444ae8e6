/**
 * Text helpers with the semantics the harness's parsers rely on (Python's `str.split()`, `str.strip()`, and
 * its regular expressions' line anchors), so that a log reads the same here as there, CRLF and odd spaces
 * included.
 */

/** The characters Python's `str.split()` and `str.strip()` treat as whitespace. */
const PY_SPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`);
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const PY_LEFT_STRIP = new RegExp(`^[${PY_SPACE}]+`);
const PY_RIGHT_STRIP = new RegExp(`[${PY_SPACE}]+$`);

/** Python's `line.split()`: the words between runs of whitespace, none empty. */
export function words(line: string): string[] {
  return line.split(PY_SPACE_RUN).filter((word) => word !== '');
}

/** Python's `line.strip()`. */
export function strip(line: string): string {
  return line.replace(PY_STRIP, '');
}

export function stripStart(line: string): string {
  return line.replace(PY_LEFT_STRIP, '');
}

export function stripEnd(line: string): string {
  return line.replace(PY_RIGHT_STRIP, '');
}

/**
 * Text as Python reads a file opened in text mode (the harness's `open(log_fp).read()`): CRLF and lone CR
 * line endings become LF.
 */
export function universalNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** The log's lines as Python's `log.split("\n")` gives them: a carriage return stays at the end of its line. */
export function lines(log: string): string[] {
  return log.split('\n');
}

/** A character of Python's `\s` in a text pattern (the whitespace `str.split()` splits at). */
export const PY_SPACE_CHARACTER = `[${PY_SPACE}]`;

/** A character of Python's `\w` in a text pattern (Unicode letters and digits, and `_`), for `u` patterns. */
export const PY_WORD_CHARACTER = '[\\p{L}\\p{N}_]';

/** ANSI escape sequences (colours, cursor moves), as terminal-aware runners print them. */
const ANSI_ESCAPE = /\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** `text.split(separator, 1)`: the text before the first separator and the rest, or the whole text alone. */
export function splitOnce(text: string, separator: string): [string, string] | [string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** The text before the first `separator` (Python's `text.split(separator)[0]`). */
export function before(text: string, separator: string): string {
  const at = text.indexOf(separator);
  return at < 0 ? text : text.slice(0, at);
}

/**
 * The status map of a log whose results are one a line: `pattern` is matched on each line, stripped as
 * Python strips it, and `read` turns a match into a test id and its status (or nothing); a later line of
 * the same id wins.
 */
export function statusesOfLines(
  log: string,
  pattern: RegExp,
  read: (match: RegExpExecArray) => [id: string, status: string] | undefined,
): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const line of lines(log)) {
    const match = pattern.exec(strip(line));
    const result = match ? read(match) : undefined;
    if (result) statuses.set(result[0], result[1]);
  }
  return statuses;
}

/** Python's `text.splitlines()`: lines split at any of the breaks Python knows, without a last empty line. */
export function splitLines(text: string): string[] {
  const result = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (result[result.length - 1] === '') result.pop();
  return result;
}
