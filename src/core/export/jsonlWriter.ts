import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Large enough that writing one run's rows overlaps with reading the next run. */
const BUFFER_BYTES = 8 << 20;

/** Writes JSON lines with backpressure: memory holds at most the stream's buffer, however many rows. */
export class JsonlWriter {
  private readonly stream: WriteStream;
  rows = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { highWaterMark: BUFFER_BYTES });
  }

  async write(row: unknown): Promise<void> {
    const line = `${JSON.stringify(row)}\n`;
    this.rows += 1;
    this.bytes += Buffer.byteLength(line);
    if (!this.stream.write(line)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
  }
}
