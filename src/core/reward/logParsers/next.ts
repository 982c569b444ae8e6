/**
 * Fusion Next (alibaba-fusion/next), read two ways by the task's version as the harness reads it:
 * - 1.27: Cypress component runs. Each spec's output starts at its `Running:  <spec>  (1 of N)` header,
 *   followed by three line breaks and the top describe block; in it, `    ✓ name (12ms)` passed (only a
 *   result with a duration is read) and `    1) name` failed, both at exactly four spaces. The id is
 *   `<block>: <name>`.
 * - every other version: karma with the spec reporter, one run after each ` xvfb-run ` of the command
 *   trace, read from its last `Starting browser Chrome` up to the `TOTAL` line, colour codes and chai's
 *   `AssertionError: #…` paragraphs dropped. A line with `✗` failed and one with `✓` passed (the rest of
 *   the line is the name); the browser's `ERROR` / `LOG` / `WARN` lines and any line starting with
 *   `Check` or `in` are passed over; other indented lines are describe blocks. The id is the open blocks
 *   and the name joined with ` - `.
 */

import type { LogParser, ParseContext, StatusMap } from '../testStatus';
import { IndentedBlocks } from './indentedBlocks';
import { lines, strip, stripAnsi } from './text';

const CYPRESS_VERSIONS = ['1.27'];

const SPEC_HEADER = /Running:([^\n]*)\)\n{3}\s{2}([^\n]*)\n/;
const CYPRESS_FAILED = /(?<![^\n])\s{4}\d+\)\s([^\n]*)/g;
const CYPRESS_PASSED = /(?<![^\n])\s{4}✓\s([^\n]*)\(/g;

function parseCypressRuns(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  // Split on a pattern with two groups: [before, spec, block, output, spec, block, output, …].
  const parts = log.split(SPEC_HEADER);
  for (let at = 1; at + 2 < parts.length; at += 3) {
    const [block, output] = [parts[at + 1], parts[at + 2]];
    for (const match of output.matchAll(CYPRESS_FAILED)) statuses.set(`${block}: ${strip(match[1])}`, 'FAILED');
    for (const match of output.matchAll(CYPRESS_PASSED)) statuses.set(`${block}: ${strip(match[1])}`, 'PASSED');
  }
  return statuses;
}

const ASSERTION_PARAGRAPH = /AssertionError:\s+#[\s\S]*?\n\n/g;
const SKIPPED_PREFIXES = ['ERROR', 'LOG', 'WARN', 'Check', 'in'];
const KARMA_RESULTS: [RegExp, string][] = [
  [/^[^\n]*?✗\s*([^\n]*)/, 'FAILED'],
  [/^[^\n]*?✓\s*([^\n]*)/, 'PASSED'],
];

function parseKarmaRuns(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  const blocks = new IndentedBlocks();
  const text = stripAnsi(log).replace(ASSERTION_PARAGRAPH, '');
  for (const run of text.split(' xvfb-run ').slice(1)) {
    const browserRun = run.split('Starting browser Chrome').pop() ?? '';
    for (const line of lines(browserRun)) {
      if (line.startsWith('TOTAL')) break;
      if (SKIPPED_PREFIXES.some((prefix) => strip(line).startsWith(prefix))) continue;
      const result = KARMA_RESULTS.map(([pattern, status]) => [pattern.exec(line), status] as const).find(
        ([match]) => match !== null,
      );
      if (result?.[0]) statuses.set([...blocks.names(), result[0][1]].join(' - '), result[1]);
      else blocks.see(line);
    }
  }
  return statuses;
}

export const parseNext: LogParser = (log, context: ParseContext) =>
  context.version !== undefined && CYPRESS_VERSIONS.includes(context.version)
    ? parseCypressRuns(log)
    : parseKarmaRuns(log);
