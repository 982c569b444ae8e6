import { open } from 'node:fs/promises';

export interface Line {
  /** 1-based line number. */
  number: number;
  text: string;
  /** False for a final line with no newline after it (a writer may have died mid-line). */
  complete: boolean;
  /** Byte offset just past this line's newline (or its end, when incomplete). */
  endOffset: number;
}

const NEWLINE = 0x0a;

/**
 * The lines of a file, streamed: memory holds one chunk plus the current line, however big the file. A chunk is
 * the file's size (one more byte, to find its end in the same read) up to `maxChunk`: a small file takes one
 * buffer of its own size, read once. Splitting on the newline byte is safe for UTF-8, where 0x0A never occurs
 * inside a multi-byte character.
 */
export async function* readLines(path: string, maxChunk = 1 << 20): AsyncGenerator<Line> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min((await file.stat()).size + 1, maxChunk));
    let pending: Buffer[] = [];
    let offset = 0;
    let number = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        pending.push(chunk.subarray(start, at));
        const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        offset += bytes.length + 1;
        number += 1;
        yield { number, text: bytes.toString('utf8'), complete: true, endOffset: offset };
        pending = [];
        start = at + 1;
      }
      // Copied: the buffer is read into again.
      if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    }
    if (pending.length > 0) {
      const bytes = Buffer.concat(pending);
      if (bytes.length > 0)
        yield { number: number + 1, text: bytes.toString('utf8'), complete: false, endOffset: offset + bytes.length };
    }
  } finally {
    await file.close();
  }
}
