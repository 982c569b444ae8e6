/** `code_map`: classes, functions and methods with their line spans, for a file or a whole folder. */
import { DEFAULT_CODE_MAP_LIMITS, mapFile, mapFolder, type CodeMapLimits, type FileSymbols } from '../codemap/codeMap';
import type { SymbolParser } from '../codemap/parser';
import { formatSymbols, supportedExtensions } from '../codemap/symbols';
import { displayPath, resolveInSandbox, statPath } from './shell';
import { fail, ok, type Tool } from './tool';

interface CodeMapArgs {
  path?: string;
}

/** A folder map longer than this is condensed (see fitFolderMap), so it fits in one observation. */
const MAX_FOLDER_MAP_CHARS = 12_000;

export function codeMapTool(parser: SymbolParser, limits: CodeMapLimits = DEFAULT_CODE_MAP_LIMITS): Tool {
  return {
    name: 'code_map',
    readOnly: true,
    description:
      'List the classes, functions and methods (with line spans, e.g. L10-42) of a source file, or of every source file ' +
      `under a folder (default: the whole repository). Languages: ${supportedExtensions().join(' ')}.`,
    parameters: {
      type: 'object',
      properties: {
        path: {
          type: 'string',
          minLength: 1,
          description: 'File or folder, relative to the repository root (default ".").',
        },
      },
      additionalProperties: false,
    },
    async run(args, { sandbox }) {
      const absolute = resolveInSandbox(sandbox.workdir, (args as CodeMapArgs).path ?? '.');
      const shown = displayPath(sandbox.workdir, absolute);
      const kind = await statPath(sandbox, absolute);
      if (kind === 'missing') return fail(`${shown}: no such file or folder.`);
      if (kind === 'file') {
        const symbols = await mapFile(sandbox, absolute, parser);
        if (!symbols)
          return fail(`${shown}: no grammar for this kind of file (supported: ${supportedExtensions().join(' ')}).`);
        return ok(
          symbols.length ? [shown, ...formatSymbols(symbols, '  ')].join('\n') : `${shown}: no classes or functions.`,
        );
      }
      if (kind !== 'directory') return fail(`${shown}: not a regular file or folder.`);
      const map = await mapFolder(sandbox, absolute, parser, limits);
      const withSymbols = map.files.filter((file) => file.symbols.length > 0);
      const lines = fitFolderMap(withSymbols);
      const empty = map.files.length - withSymbols.length;
      if (empty > 0) lines.push(`[${empty} more source files have no classes or functions]`);
      if (map.skipped.length > 0) {
        lines.push(
          `[${map.skipped.length} source files not mapped (${[...new Set(map.skipped.map((skip) => skip.reason))].join('; ')}); map a subfolder to see them]`,
        );
      }
      return ok(lines.length ? lines.join('\n') : `No source files under ${shown}.`);
    },
  };
}

/** The most detail that fits: every symbol, else top-level symbols, else one line per file. */
function fitFolderMap(files: FileSymbols[]): string[] {
  const full = files.flatMap((file) => [file.path, ...formatSymbols(file.symbols, '  ')]);
  if (full.join('\n').length <= MAX_FOLDER_MAP_CHARS) return full;
  const topLevel = files.flatMap((file) => [file.path, ...formatSymbols(file.symbols, '  ', 1)]);
  if (topLevel.join('\n').length <= MAX_FOLDER_MAP_CHARS)
    return [...topLevel, '[members left out to fit: map a single file or a subfolder to see methods]'];
  return [
    ...files.map((file) => `${file.path}  (${file.symbols.length} top-level symbols)`),
    '[symbols left out to fit: map a single file or a subfolder to see them]',
  ];
}
