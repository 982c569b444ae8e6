/**
 * A strict reader of `git diff` output, enough to check that a bundled patch parses and applies
 * exactly (no fuzz, no offsets) to the files it names.
 */

export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** Body lines with their prefix: ' ' context, '-' removed, '+' added. */
  lines: string[];
}

export interface FilePatch {
  /** Path before the change; null for a new file. */
  oldPath: string | null;
  /** Path after the change; null for a deleted file. */
  newPath: string | null;
  hunks: Hunk[];
}

const DIFF_HEADER = /^diff --git a\/(\S+) b\/(\S+)$/;
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function pathAfterPrefix(
  line: string,
  marker: '---' | '+++',
  prefix: 'a/' | 'b/',
  fail: (message: string) => never,
): string | null {
  const path = line.slice(marker.length + 1);
  if (path === '/dev/null') return null;
  if (!path.startsWith(prefix)) fail(`expected '${marker} ${prefix}PATH' or '${marker} /dev/null'`);
  return path.slice(prefix.length);
}

/** Parses `text`; errors name `source` and the 1-based line. */
export function parseUnifiedDiff(text: string, source: string): FilePatch[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const files: FilePatch[] = [];
  let index = 0;
  const fail = (message: string): never => {
    throw new Error(`${source} line ${index + 1}: ${message}`);
  };
  while (index < lines.length) {
    if (!DIFF_HEADER.test(lines[index]))
      fail(`expected 'diff --git a/PATH b/PATH', got ${JSON.stringify(lines[index])}`);
    index += 1;
    while (index < lines.length && !lines[index].startsWith('--- ')) {
      if (DIFF_HEADER.test(lines[index]) || lines[index].startsWith('@@')) fail('file header has no ---/+++ lines');
      index += 1;
    }
    if (index + 1 >= lines.length || !lines[index + 1].startsWith('+++ ')) fail("expected '---' then '+++'");
    const oldPath = pathAfterPrefix(lines[index], '---', 'a/', fail);
    index += 1;
    const file: FilePatch = { oldPath, newPath: pathAfterPrefix(lines[index], '+++', 'b/', fail), hunks: [] };
    index += 1;
    while (index < lines.length && lines[index].startsWith('@@')) {
      const header = HUNK_HEADER.exec(lines[index]) ?? fail(`malformed hunk header ${JSON.stringify(lines[index])}`);
      const hunk: Hunk = {
        oldStart: Number(header[1]),
        oldCount: header[2] === undefined ? 1 : Number(header[2]),
        newStart: Number(header[3]),
        newCount: header[4] === undefined ? 1 : Number(header[4]),
        lines: [],
      };
      index += 1;
      let oldLeft = hunk.oldCount;
      let newLeft = hunk.newCount;
      while (oldLeft > 0 || newLeft > 0) {
        const line = lines[index] ?? fail(`hunk ends early: ${oldLeft} old and ${newLeft} new lines missing`);
        const kind = line[0];
        if (kind === ' ') [oldLeft, newLeft] = [oldLeft - 1, newLeft - 1];
        else if (kind === '-') oldLeft -= 1;
        else if (kind === '+') newLeft -= 1;
        else if (kind !== '\\') fail(`unexpected line in hunk: ${JSON.stringify(line)}`);
        if (oldLeft < 0 || newLeft < 0) fail('hunk has more lines than its header counts');
        if (kind !== '\\') hunk.lines.push(line);
        index += 1;
      }
      if (lines[index]?.startsWith('\\')) index += 1;
      file.hunks.push(hunk);
    }
    if (file.hunks.length === 0) fail(`no hunks for ${file.newPath ?? file.oldPath}`);
    files.push(file);
  }
  if (files.length === 0) throw new Error(`${source}: holds no file changes`);
  return files;
}

/**
 * Applies one file's hunks to `original` (undefined when the file does not exist) exactly as `git apply`
 * would without fuzz; throws naming the file and line where the patch and the file disagree.
 */
export function applyFilePatch(original: string | undefined, patch: FilePatch): string {
  const path = patch.newPath ?? patch.oldPath;
  if (patch.oldPath === null && original !== undefined) throw new Error(`${path}: the patch creates it, but it exists`);
  if (patch.oldPath !== null && original === undefined)
    throw new Error(`${path}: the patch changes it, but it does not exist`);
  const source = original === undefined || original === '' ? [] : original.replace(/\n$/, '').split('\n');
  const result: string[] = [];
  let next = 0;
  for (const hunk of patch.hunks) {
    const start = hunk.oldCount === 0 ? hunk.oldStart : hunk.oldStart - 1;
    if (start < next) throw new Error(`${path}: hunk at line ${hunk.oldStart} overlaps the one before`);
    result.push(...source.slice(next, start));
    let at = start;
    for (const line of hunk.lines) {
      const text = line.slice(1);
      if (line[0] === '+') {
        result.push(text);
        continue;
      }
      if (source[at] !== text)
        throw new Error(
          `${path} line ${at + 1}: patch expects ${JSON.stringify(text)}, file has ${JSON.stringify(source[at])}`,
        );
      if (line[0] === ' ') result.push(text);
      at += 1;
    }
    next = at;
  }
  result.push(...source.slice(next));
  return result.length === 0 ? '' : `${result.join('\n')}\n`;
}
