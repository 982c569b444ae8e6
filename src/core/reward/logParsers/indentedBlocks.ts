/**
 * The describe blocks open at a line of a spec-style log, by indentation, as several of the harness's
 * JavaScript parsers track them: a line indented deeper than the last block opens a block inside it, any
 * other indented line closes every block indented as deep or deeper and opens its own. Unindented lines
 * change nothing.
 */

import { strip, stripStart } from './text';

export class IndentedBlocks {
  private readonly open: { name: string; indent: number }[] = [];

  /** Takes a line that is no result: it may open or close blocks. */
  see(line: string): void {
    const indent = line.length - stripStart(line).length;
    if (indent === 0) return;
    while (this.open.length > 0 && this.open[this.open.length - 1].indent >= indent) this.open.pop();
    this.open.push({ name: strip(line), indent });
  }

  /** The open blocks' names, outermost first. */
  names(): string[] {
    return this.open.map((block) => block.name);
  }
}
