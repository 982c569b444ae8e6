import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Large enough that writing one run's rows overlaps with reading the next run. */
const BUFFER_BYTES = 8 << 20;

/**
 * How rows are laid out: JSON Lines, or one JSON array with a row on each line (for readers that `json.load` a
 * whole file, such as SWE-bench Pro's harness).
 */
export type RowLayout = 'lines' | 'array';

/** Writes JSON rows with backpressure: memory holds at most the stream's buffer, however many rows. */
export class JsonlWriter {
  private readonly stream: WriteStream;
  rows = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly layout: RowLayout = 'lines',
  ) {
    this.stream = createWriteStream(path, { highWaterMark: BUFFER_BYTES });
  }

  async write(row: unknown): Promise<void> {
    const opening = this.layout === 'array' ? (this.rows === 0 ? '[\n' : ',\n') : '';
    const closing = this.layout === 'lines' ? '\n' : '';
    this.rows += 1;
    await this.put(`${opening}${JSON.stringify(row)}${closing}`);
  }

  async close(): Promise<void> {
    if (this.layout === 'array') await this.put(this.rows === 0 ? '[]\n' : '\n]\n');
    this.stream.end();
    await once(this.stream, 'finish');
  }

  private async put(text: string): Promise<void> {
    this.bytes += Buffer.byteLength(text);
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}
