/** A code map of a file or a folder in the sandbox: files are read out of the sandbox and parsed on the host. */
import { posix } from 'node:path';
import type { Sandbox } from '../../sandbox/sandbox';
import type { SymbolParser } from './parser';
import { shellQuote } from '../tools/shell';
import { languageForPath, type CodeSymbol } from './symbols';

export interface CodeMapLimits {
  /** Files parsed for a folder; the rest are counted, not parsed. */
  maxFiles: number;
  /** Larger files are skipped (generated or vendored code, most likely). */
  maxFileBytes: number;
}

export interface FileSymbols {
  /** Relative to the mapped folder. */
  path: string;
  symbols: CodeSymbol[];
}

export interface CodeMap {
  files: FileSymbols[];
  /** Supported files left out because of the limits. */
  skipped: { path: string; reason: string }[];
}

export const DEFAULT_CODE_MAP_LIMITS: CodeMapLimits = { maxFiles: 200, maxFileBytes: 512 * 1024 };

const SKIPPED_FOLDERS = ['.git', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', 'dist', 'build', 'target', 'vendor'];

/** The symbols of every supported source file under `dir` (absolute, inside the sandbox), in path order. */
export async function mapFolder(sandbox: Sandbox, dir: string, parser: SymbolParser, limits = DEFAULT_CODE_MAP_LIMITS): Promise<CodeMap> {
  const candidates = (await listSourceFiles(sandbox, dir)).filter((entry) => languageForPath(entry.path));
  const skipped: CodeMap['skipped'] = [];
  const chosen = candidates.filter((entry) => {
    if (entry.size > limits.maxFileBytes) skipped.push({ path: entry.path, reason: `larger than ${limits.maxFileBytes} bytes` });
    return entry.size <= limits.maxFileBytes;
  });
  for (const entry of chosen.slice(limits.maxFiles)) skipped.push({ path: entry.path, reason: `past the first ${limits.maxFiles} files` });
  const files: FileSymbols[] = [];
  for (const entry of chosen.slice(0, limits.maxFiles)) {
    const source = (await sandbox.readFile(posix.join(dir, entry.path))).toString('utf8');
    files.push({ path: entry.path, symbols: await parser.symbols(languageForPath(entry.path)!, source) });
  }
  return { files, skipped };
}

/** The symbols of one file (absolute path inside the sandbox), or undefined when no grammar covers it. */
export async function mapFile(sandbox: Sandbox, file: string, parser: SymbolParser): Promise<CodeSymbol[] | undefined> {
  const language = languageForPath(file);
  if (!language) return undefined;
  return parser.symbols(language, (await sandbox.readFile(file)).toString('utf8'));
}

/**
 * Regular files under `dir` with their sizes, skipped folders pruned. `find` in the sandbox rather than
 * `Sandbox.listFiles`, which archives the whole tree — .git and node_modules included — to list it.
 */
async function listSourceFiles(sandbox: Sandbox, dir: string): Promise<{ path: string; size: number }[]> {
  const prune = SKIPPED_FOLDERS.map((folder) => `-name ${shellQuote(folder)}`).join(' -o ');
  const result = await sandbox.exec(`find ${shellQuote(dir)} -mindepth 1 \\( ${prune} \\) -prune -o -type f -printf '%P\\t%s\\n' | LC_ALL=C sort`, {
    timeoutMs: 60_000,
    maxOutputBytes: 16 * 1024 ** 2,
  });
  if (result.exitCode !== 0) throw new Error(`could not list ${dir} in the sandbox: ${result.stderr.trim()}`);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.lastIndexOf('\t');
      return { path: line.slice(0, tab), size: Number(line.slice(tab + 1)) };
    });
}
