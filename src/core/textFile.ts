import { readFile } from 'node:fs/promises';

/** `text` without the UTF-8 byte-order mark that Windows editors and PowerShell write first: no part of JSON. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A file a user gives that is not UTF-8 text, with the first line that is not. */
export class NotUtf8Error extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}: line ${line} is not UTF-8 text (a patch or test name read from it would not be the one written)`);
    this.name = 'NotUtf8Error';
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A user's file as UTF-8 text without its mark. Bytes that are not UTF-8 are refused, naming their line, rather than
 * read as U+FFFD: that would change a patch read from the file, which then fails far from its cause.
 */
export function utf8Text(bytes: Uint8Array, file: string): string {
  try {
    return withoutByteOrderMark(strictUtf8.decode(bytes));
  } catch {
    throw new NotUtf8Error(file, firstLineNotUtf8(bytes));
  }
}

function firstLineNotUtf8(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    try {
      strictUtf8.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    if (newline < 0) break;
    start = newline + 1;
    line++;
  }
  return line;
}

/** A folder where a user's file was expected, named: Node's EISDIR names no path. */
export class FolderNotFileError extends Error {
  static readonly reason = 'is a folder, expected a file';

  constructor(readonly file: string) {
    super(`${file}: ${FolderNotFileError.reason}`);
    this.name = 'FolderNotFileError';
  }
}

/** The bytes of a file a user gives; a folder in its place is a FolderNotFileError. */
export async function readUserFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new FolderNotFileError(path);
    throw error;
  }
}

/** A JSON or JSON Lines file a user gives (tasks, specs, predictions, imports), as UTF-8 text without its mark. */
export async function readJsonText(path: string): Promise<string> {
  return utf8Text(await readUserFile(path), path);
}

const END_OF_INPUT = 'Unexpected end of JSON input';
const STATED_OFFSET = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;
// V8 quotes the text around an unexpected token, newlines and all, which would break the message over lines.
const QUOTED_TEXT = /, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s;

/**
 * Where JSON.parse refused `text`, by line, and why, with the column. The engine names a character offset (or, for
 * an unexpected token, nothing), which no editor shows.
 */
export function describeJsonSyntaxError(text: string, error: unknown): { line: number; reason: string } {
  const message = (error as Error).message;
  const end = text.trimEnd().length;
  const offset = statedOffset(message) ?? (message === END_OF_INPUT ? end : refusedOffset(text));
  // Text that ends too early is refused at its very end: the last line written is the one to look at.
  const { line, column } = lineAndColumn(text, Math.min(offset, end));
  return { line, reason: `${message.replace(STATED_OFFSET, '').replace(QUOTED_TEXT, '')} (column ${column})` };
}

function statedOffset(message: string): number | undefined {
  const match = STATED_OFFSET.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The offset of the character JSON.parse refused where its message does not say (V8's "Unexpected token"): the
 * shortest prefix of `text` that fails before its end, rather than for ending early, ends with that character.
 */
function refusedOffset(text: string): number {
  let fine = 0;
  let failing = text.length;
  while (failing - fine > 1) {
    const middle = Math.floor((fine + failing) / 2);
    if (failsBeforeEnd(text.slice(0, middle))) failing = middle;
    else fine = middle;
  }
  return failing - 1;
}

function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const message = (error as Error).message;
    const offset = statedOffset(message);
    // A prefix cut inside a string or number is refused at its end, with the end as the offset.
    return offset === undefined ? message !== END_OF_INPUT : offset < prefix.length;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}
