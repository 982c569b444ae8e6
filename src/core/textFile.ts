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

/** A JSON or JSON Lines file a user gives (tasks, specs, predictions, imports), as UTF-8 text without its mark. */
export async function readJsonText(path: string): Promise<string> {
  return utf8Text(await readFile(path), path);
}
