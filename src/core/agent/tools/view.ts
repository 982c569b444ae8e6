/** `view`: a file with line numbers (optionally a line range), or a folder's entries two levels deep. */
import type { Sandbox } from '../../sandbox/sandbox';
import { displayPath, looksBinary, resolveInSandbox, statPath } from './shell';
import { shellQuote } from '../../shellWords';
import { fail, ok, type Tool, type ToolResult } from './tool';

export interface ViewToolOptions {
  /** Lines shown when no range is asked for. */
  maxLines?: number;
  /** Entries shown for a folder. */
  maxEntries?: number;
}

interface ViewArgs {
  path: string;
  start_line?: number;
  end_line?: number;
}

export function viewTool(options: ViewToolOptions = {}): Tool {
  const maxLines = options.maxLines ?? 400;
  const maxEntries = options.maxEntries ?? 400;
  return {
    name: 'view',
    readOnly: true,
    description:
      'Show a file with line numbers, or list a folder two levels deep (hidden entries left out). ' +
      `For a file longer than ${maxLines} lines, pass start_line and end_line to see more.`,
    parameters: {
      type: 'object',
      properties: {
        path: {
          type: 'string',
          minLength: 1,
          description: 'File or folder, relative to the repository root or absolute.',
        },
        start_line: { type: 'integer', minimum: 1, description: 'First line to show (1-based).' },
        end_line: {
          type: 'integer',
          minimum: -1,
          description: 'Last line to show, inclusive; -1 for the end of the file.',
        },
      },
      required: ['path'],
      additionalProperties: false,
    },
    async run(args, { sandbox }) {
      const { path, start_line, end_line } = args as ViewArgs;
      const absolute = resolveInSandbox(sandbox.workdir, path);
      const shown = displayPath(sandbox.workdir, absolute);
      const kind = await statPath(sandbox, absolute);
      if (kind === 'missing') return fail(`${shown}: no such file or folder.`);
      if (kind === 'other') return fail(`${shown}: not a regular file or folder.`);
      if (kind === 'directory') {
        if (start_line !== undefined || end_line !== undefined)
          return fail(`${shown} is a folder: start_line and end_line apply to files only.`);
        return listFolder(sandbox, absolute, shown, maxEntries);
      }
      const content = await sandbox.readFile(absolute);
      if (looksBinary(content))
        return fail(`${shown} is a binary file (${content.length} bytes); it cannot be shown as text.`);
      return showLines(shown, content.toString('utf8'), { start: start_line, end: end_line }, maxLines);
    },
  };
}

/** The numbered lines of a file in the asked range, or an error saying which range is valid. */
export function showLines(
  shown: string,
  text: string,
  range: { start?: number; end?: number },
  maxLines: number,
): ToolResult {
  const lines = splitLines(text);
  if (lines.length === 0) return ok(`${shown} is empty.`);
  const start = range.start ?? 1;
  if (start > lines.length)
    return fail(`start_line ${start} is past the end of ${shown}, which has ${lines.length} lines.`);
  const askedEnd = range.end === undefined || range.end === -1 ? undefined : range.end;
  if (askedEnd !== undefined && askedEnd < start) return fail(`end_line ${askedEnd} is before start_line ${start}.`);
  const rangeGiven = range.start !== undefined || range.end !== undefined;
  const end = Math.min(askedEnd ?? lines.length, lines.length, rangeGiven ? Infinity : maxLines);
  const body = numberLines(lines.slice(start - 1, end), start);
  const note =
    end < lines.length && !rangeGiven
      ? `\n[${shown} has ${lines.length} lines; showing 1-${end}. Pass start_line/end_line to see more.]`
      : '';
  return ok(`${shown}:\n${body}${note}`);
}

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function numberLines(lines: string[], firstLineNumber: number): string {
  return lines.map((line, index) => `${String(firstLineNumber + index).padStart(6)}\t${line}`).join('\n');
}

async function listFolder(sandbox: Sandbox, absolute: string, shown: string, maxEntries: number): Promise<ToolResult> {
  const hidden = `\\( -name '.*' -o -name node_modules -o -name __pycache__ \\) -prune`;
  const result = await sandbox.exec(
    `find ${shellQuote(absolute)} -mindepth 1 -maxdepth 2 ${hidden} -o -printf '%P\\t%y\\n' | LC_ALL=C sort | head -n ${maxEntries + 1}`,
    { timeoutMs: 60_000 },
  );
  if (result.exitCode !== 0) return fail(`could not list ${shown}: ${result.stderr.trim()}`);
  const entries = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [path, type] = line.split('\t');
      return type === 'd' ? `${path}/` : path;
    });
  if (entries.length === 0) return ok(`${shown}/ is empty (hidden entries are not listed).`);
  const more =
    entries.length > maxEntries ? `\n[more than ${maxEntries} entries; view a subfolder to see the rest]` : '';
  return ok(`${shown}/ (two levels deep):\n${entries.slice(0, maxEntries).join('\n')}${more}`);
}
