/** `search`: lines matching a text or pattern (grep), or files whose names match (find); output is bounded. */
import { displayPath, resolveInSandbox } from './shell';
import { shellQuote } from '../../shellWords';
import { fail, ok, type Tool } from './tool';

export interface SearchToolOptions {
  /** Matches shown before the rest are cut with a note. */
  maxResults?: number;
  /** Characters kept of each matching line. */
  maxLineChars?: number;
}

interface SearchArgs {
  pattern: string;
  path?: string;
  mode?: 'text' | 'files';
  regex?: boolean;
}

const SKIPPED_FOLDERS = ['.git', 'node_modules', '__pycache__', '.venv', '.tox', '.mypy_cache'];

export function searchTool(options: SearchToolOptions = {}): Tool {
  const maxResults = options.maxResults ?? 100;
  const maxLineChars = options.maxLineChars ?? 240;
  return {
    name: 'search',
    readOnly: true,
    description:
      'Search the repository. mode "text" (default) lists matching lines as path:line:text (grep); ' +
      'mode "files" lists files whose names contain the pattern, or match it as a glob such as *.py. ' +
      `At most ${maxResults} results; .git and node_modules are skipped.`,
    parameters: {
      type: 'object',
      properties: {
        pattern: {
          type: 'string',
          minLength: 1,
          description: 'Text to find (or a regular expression with regex: true), or a file-name pattern.',
        },
        path: {
          type: 'string',
          minLength: 1,
          description: 'Folder or file to search in (default: the repository root).',
        },
        mode: {
          type: 'string',
          enum: ['text', 'files'],
          description: 'What to match: file contents (text) or file names (files).',
        },
        regex: {
          type: 'boolean',
          description: 'text mode: treat pattern as an extended regular expression (default false: a literal string).',
        },
      },
      required: ['pattern'],
      additionalProperties: false,
    },
    async run(args, { sandbox, signal }) {
      const { pattern, path = '.', mode = 'text', regex = false } = args as SearchArgs;
      const absolute = resolveInSandbox(sandbox.workdir, path);
      const shown = displayPath(sandbox.workdir, absolute);
      const command =
        mode === 'text'
          ? grepCommand(pattern, absolute, regex, maxResults)
          : findCommand(pattern, absolute, maxResults);
      const result = await sandbox.exec(command, { timeoutMs: 60_000, cwd: sandbox.workdir, signal });
      if (searchFailed(mode, result.exitCode, result.stdout)) {
        return fail(`search failed in ${shown}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
      }
      const lines = result.stdout.split('\n').filter(Boolean);
      if (lines.length === 0)
        return ok(`No ${mode === 'text' ? 'lines' : 'file names'} matching ${JSON.stringify(pattern)} in ${shown}.`);
      const shownLines = lines
        .slice(0, maxResults)
        .map((line) => shortenLine(relativeToRoot(line, sandbox.workdir), maxLineChars));
      const more =
        lines.length > maxResults ? `\n[more than ${maxResults} results; narrow the pattern or the path]` : '';
      return ok(`${shownLines.join('\n')}${more}`);
    },
  };
}

function grepCommand(pattern: string, absolute: string, regex: boolean, maxResults: number): string {
  const excludes = SKIPPED_FOLDERS.map((folder) => `--exclude-dir=${folder}`).join(' ');
  return `grep -rnHI ${regex ? '-E' : '-F'} ${excludes} -e ${shellQuote(pattern)} -- ${shellQuote(absolute)} | head -n ${maxResults + 1}; exit \${PIPESTATUS[0]}`;
}

function findCommand(pattern: string, absolute: string, maxResults: number): string {
  const glob = /[*?[]/.test(pattern) ? pattern : `*${pattern}*`;
  const prune = SKIPPED_FOLDERS.map((folder) => `-name ${shellQuote(folder)}`).join(' -o ');
  return `find ${shellQuote(absolute)} \\( ${prune} \\) -prune -o -iname ${shellQuote(glob)} -print | LC_ALL=C sort | head -n ${maxResults + 1}; exit \${PIPESTATUS[0]}`;
}

/**
 * grep exits 1 when nothing matched and 2 on a real error (bad pattern, missing path); both also fail on an
 * unreadable subfolder while still printing what they found, which is kept. 141 is SIGPIPE: `head`
 * had enough and closed the pipe.
 */
function searchFailed(mode: 'text' | 'files', exitCode: number, stdout: string): boolean {
  if (exitCode === 0 || exitCode === 141 || stdout !== '') return false;
  return mode === 'files' || exitCode >= 2;
}

function relativeToRoot(line: string, workdir: string): string {
  return line.startsWith(`${workdir}/`) ? line.slice(workdir.length + 1) : line;
}

function shortenLine(line: string, maxChars: number): string {
  return line.length <= maxChars ? line : `${line.slice(0, maxChars)} […${line.length - maxChars} more characters]`;
}
