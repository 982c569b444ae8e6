import { readFile } from 'node:fs/promises';

/** `text` without the UTF-8 byte-order mark that Windows editors and PowerShell write first: no part of JSON. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A JSON or JSON Lines file a user gives (tasks, specs, predictions, imports), as UTF-8 text without its mark. */
export async function readJsonText(path: string): Promise<string> {
  return withoutByteOrderMark(await readFile(path, 'utf8'));
}
