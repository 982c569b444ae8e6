import { open } from 'node:fs/promises';

export interface Line {
  /** 1-based line number. */
  number: number;
  text: string;
  /** False for a final line with no newline after it (a writer may have died mid-line). */
  complete: boolean;
  /** Byte offset just past this line's newline (or its end, when incomplete). */
  endOffset: number;
  /** The line's length in bytes when it was longer than `maxLineBytes`: its text was not kept (empty). */
  tooLongBytes?: number;
}

export interface ReadLinesOptions {
  /** The largest read, in bytes (a smaller file is read in one buffer of its own size). */
  maxChunk?: number;
  /** Longer lines are not held in memory: they come with an empty text and their length in `tooLongBytes`. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

/**
 * The lines of a file, streamed: memory holds one chunk plus the current line (at most `maxLineBytes` of it),
 * however big the file. A chunk is the file's size (one more byte, to find its end in the same read) up to
 * `maxChunk`: a small file takes one buffer of its own size, read once. Splitting on the newline byte is safe for
 * UTF-8, where 0x0A never occurs inside a multi-byte character.
 */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<Line> {
  const maxLineBytes = options.maxLineBytes ?? Infinity;
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min((await file.stat()).size + 1, options.maxChunk ?? 1 << 20));
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0;
    let number = 0;
    const line = (complete: boolean): Line => {
      number += 1;
      offset += pendingBytes + (complete ? 1 : 0);
      const tooLong = pendingBytes > maxLineBytes;
      const text = tooLong ? '' : (pending.length === 1 ? pending[0] : Buffer.concat(pending)).toString('utf8');
      const read: Line = {
        number,
        text,
        complete,
        endOffset: offset,
        ...(tooLong ? { tooLongBytes: pendingBytes } : {}),
      };
      pending = [];
      pendingBytes = 0;
      return read;
    };
    // Past the limit only the count goes on; `copy` when the part lives in the buffer that is read into again.
    const keep = (part: Buffer, copy: boolean) => {
      pendingBytes += part.length;
      if (pendingBytes > maxLineBytes) pending = [];
      else pending.push(copy ? Buffer.from(part) : part);
    };
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        keep(chunk.subarray(start, at), false);
        yield line(true);
        start = at + 1;
      }
      if (start < chunk.length) keep(chunk.subarray(start), true);
    }
    if (pendingBytes > 0) yield line(false);
  } finally {
    await file.close();
  }
}
