/**
 * A git patch turned around, so that applying it undoes the original: how SWE-smith's fix is its bug patch
 * applied in reverse (`git apply --reverse`), as a patch of its own that any grader can apply forwards.
 */

const SWAPPED_HEADERS: [RegExp, (match: RegExpMatchArray) => string][] = [
  [/^diff --git a\/(.+) b\/(.+)$/, (m) => `diff --git a/${m[2]} b/${m[1]}`],
  [/^new file mode (\d+)$/, (m) => `deleted file mode ${m[1]}`],
  [/^deleted file mode (\d+)$/, (m) => `new file mode ${m[1]}`],
  [/^old mode (\d+)$/, (m) => `new mode ${m[1]}`],
  [/^new mode (\d+)$/, (m) => `old mode ${m[1]}`],
  [/^rename from (.+)$/, (m) => `rename to ${m[1]}`],
  [/^rename to (.+)$/, (m) => `rename from ${m[1]}`],
  [/^index ([0-9a-f]+)\.\.([0-9a-f]+)(.*)$/, (m) => `index ${m[2]}..${m[1]}${m[3]}`],
];
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** The reverse of a text patch; undefined for what cannot be turned around textually (binary or copy patches). */
export function reversePatch(patch: string): string | undefined {
  if (/^(GIT binary patch|Binary files .* differ|copy from )/m.test(patch)) return undefined;
  const lines = patch.split('\n');
  const out: string[] = [];
  let oldLeft = 0;
  let newLeft = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (oldLeft > 0 || newLeft > 0) {
      // Inside a hunk, counted by its header, so body lines that look like headers stay body lines.
      if (line.startsWith('+')) newLeft--;
      else if (line.startsWith('-')) oldLeft--;
      else if (!line.startsWith('\\')) {
        oldLeft--;
        newLeft--;
      }
      out.push(line.startsWith('+') ? `-${line.slice(1)}` : line.startsWith('-') ? `+${line.slice(1)}` : line);
      continue;
    }
    const hunk = HUNK.exec(line);
    if (hunk) {
      const [, oldStart, oldCount = '1', newStart, newCount = '1', rest] = hunk;
      oldLeft = Number(oldCount);
      newLeft = Number(newCount);
      out.push(`@@ -${newStart},${newCount} +${oldStart},${oldCount} @@${rest}`);
    } else if (line.startsWith('--- ') && lines[index + 1]?.startsWith('+++ ')) {
      out.push(`--- ${sidePath(lines[index + 1].slice(4), 'a/')}`, `+++ ${sidePath(line.slice(4), 'b/')}`);
      index++;
    } else {
      const header = SWAPPED_HEADERS.find(([pattern]) => pattern.test(line));
      out.push(header ? header[1](line.match(header[0]) as RegExpMatchArray) : line);
    }
  }
  return fixRenameOrder(out).join('\n');
}

/** A file name of one side of a diff moved to the other side, with that side's prefix. */
function sidePath(name: string, prefix: string): string {
  return name === '/dev/null' ? name : `${prefix}${name.replace(/^[ab]\//, '')}`;
}

/** git wants `rename from` before `rename to`; swapping each line in place leaves them the other way round. */
function fixRenameOrder(lines: string[]): string[] {
  for (let index = 0; index + 1 < lines.length; index++) {
    if (lines[index].startsWith('rename to ') && lines[index + 1].startsWith('rename from ')) {
      [lines[index], lines[index + 1]] = [lines[index + 1], lines[index]];
    }
  }
  return lines;
}
