/** `edit`: replace a unique snippet, insert after a line, or create a file. */
import { displayPath, looksBinary, resolveInSandbox, statPath } from './shell';
import { fail, ok, type Tool } from './tool';
import { numberLines, splitLines } from './view';

type EditArgs =
  | { command: 'str_replace'; path: string; old_str: string; new_str?: string }
  | { command: 'insert'; path: string; insert_line: number; new_str: string }
  | { command: 'create'; path: string; file_text: string };

/** The result of a pure text edit: the new text and the lines to show around the change, or why it failed. */
export type TextEdit = { ok: true; text: string; firstLine: number; lastLine: number } | { ok: false; message: string };

export function editTool(): Tool {
  return {
    name: 'edit',
    description:
      'Edit files. `str_replace` replaces old_str, which must appear exactly once (whitespace included), with new_str ' +
      '(empty or left out to delete). `insert` inserts new_str after line insert_line (0 for the top). ' +
      '`create` writes a new file with file_text; it refuses to overwrite an existing file.',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: ['str_replace', 'insert', 'create'] },
        path: { type: 'string', minLength: 1, description: 'File path, relative to the repository root or absolute.' },
        old_str: { type: 'string', minLength: 1, description: 'str_replace: the exact text to replace.' },
        new_str: { type: 'string', description: 'str_replace / insert: the new text.' },
        insert_line: {
          type: 'integer',
          minimum: 0,
          description: 'insert: the line after which new_str goes (0 = top of file).',
        },
        file_text: { type: 'string', description: 'create: the whole content of the new file.' },
      },
      required: ['command', 'path'],
      additionalProperties: false,
      allOf: [
        { if: { properties: { command: { const: 'str_replace' } } }, then: { required: ['old_str'] } },
        { if: { properties: { command: { const: 'insert' } } }, then: { required: ['insert_line', 'new_str'] } },
        { if: { properties: { command: { const: 'create' } } }, then: { required: ['file_text'] } },
      ],
    },
    async run(args, { sandbox }) {
      const edit = args as EditArgs;
      const absolute = resolveInSandbox(sandbox.workdir, edit.path);
      const shown = displayPath(sandbox.workdir, absolute);
      const kind = await statPath(sandbox, absolute);
      if (edit.command === 'create') {
        if (kind !== 'missing')
          return fail(`${shown} already exists; create makes new files only. Use str_replace or insert to change it.`);
        await sandbox.writeFile(absolute, edit.file_text);
        return ok(`Created ${shown} (${splitLines(edit.file_text).length} lines).`);
      }
      if (kind === 'missing') return fail(`${shown}: no such file. Use the create command to make a new file.`);
      if (kind !== 'file') return fail(`${shown} is not a regular file.`);
      const content = await sandbox.readFile(absolute);
      if (looksBinary(content)) return fail(`${shown} is a binary file; it cannot be edited as text.`);
      const result =
        edit.command === 'str_replace'
          ? replaceUnique(content.toString('utf8'), edit.old_str, edit.new_str ?? '', shown)
          : insertAfterLine(content.toString('utf8'), edit.insert_line, edit.new_str, shown);
      if (!result.ok) return fail(result.message);
      await sandbox.writeFile(absolute, result.text);
      return ok(`Edited ${shown}. ${describeChange(result)}`);
    },
  };
}

/** Replaces the one occurrence of `oldStr`; none or several is an error that says where to look. */
export function replaceUnique(text: string, oldStr: string, newStr: string, shown: string): TextEdit {
  // Models write \n; a file with Windows line endings is matched and edited in its own style.
  if (text.includes('\r\n') && !oldStr.includes('\r')) {
    oldStr = oldStr.replace(/\n/g, '\r\n');
    newStr = newStr.replace(/\r?\n/g, '\r\n');
  }
  const positions = occurrences(text, oldStr);
  if (positions.length === 0) {
    return {
      ok: false,
      message: `No replacement made: old_str does not appear verbatim in ${shown}. Check whitespace and indentation, or view the file to copy the exact text.`,
    };
  }
  if (positions.length > 1) {
    const lines = [...new Set(positions.map((position) => lineOf(text, position)))];
    return {
      ok: false,
      message: `No replacement made: old_str appears ${positions.length} times in ${shown}, on line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}. Include more surrounding lines to make it unique.`,
    };
  }
  const firstLine = lineOf(text, positions[0]);
  const updated = text.slice(0, positions[0]) + newStr + text.slice(positions[0] + oldStr.length);
  return { ok: true, text: updated, firstLine, lastLine: firstLine + Math.max(splitLines(newStr).length - 1, 0) };
}

/** Inserts `newStr` as whole lines after line `afterLine` (0 = before the first line). */
export function insertAfterLine(text: string, afterLine: number, newStr: string, shown: string): TextEdit {
  const lines = splitLines(text);
  if (afterLine > lines.length) {
    return {
      ok: false,
      message: `insert_line ${afterLine} is past the end of ${shown}, which has ${lines.length} lines (use 0 to ${lines.length}).`,
    };
  }
  const inserted = splitLines(newStr);
  const updated = [...lines.slice(0, afterLine), ...inserted, ...lines.slice(afterLine)];
  const endsWithNewline = text === '' || text.endsWith('\n');
  return {
    ok: true,
    text: updated.join('\n') + (endsWithNewline ? '\n' : ''),
    firstLine: afterLine + 1,
    lastLine: afterLine + Math.max(inserted.length, 1),
  };
}

function describeChange(edit: Extract<TextEdit, { ok: true }>, context = 3): string {
  const lines = splitLines(edit.text);
  const from = Math.max(1, edit.firstLine - context);
  const to = Math.min(lines.length, edit.lastLine + context);
  if (lines.length === 0) return 'The file is now empty.';
  return `Lines ${from}-${to} now read:\n${numberLines(lines.slice(from - 1, to), from)}`;
}

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) found.push(at);
  return found;
}

function lineOf(text: string, position: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
