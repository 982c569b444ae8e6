/**
 * The gold patch of an R2E-Gym row. The row keeps the fixing commit as a parsed diff (`parsed_commit_content`:
 * files, their header lines and hunks, each line typed); R2E-Gym's own gold patch is that diff written back as
 * text for the Python files that are not tests. Checked against R2E-Gym's writer in
 * test/fixtures/r2e-gym/gold-patch-oracle.json.
 */

import { parseEncodedValue, type Row } from './rows';
import { FieldError } from './task';

interface Range {
  start: number;
  length?: number | null;
}

interface Line {
  content: string;
  type: 'context' | 'added' | 'deleted' | 'note';
}

interface FileDiff {
  header: { file: { path: string }; misc_line?: string | null };
  index_line?: { old_commit_hash: string; new_commit_hash: string; mode: string } | null;
  is_binary_file?: boolean;
  binary_line?: string | null;
  minus_file?: { path: string } | null;
  plus_file?: { path: string } | null;
  hunks: { descriptor: { old_range: Range; new_range: Range; section: string }; line_group: { all_lines: Line[] } }[];
}

const FIELD = 'parsed_commit_content';
const LINE_PREFIX: Record<Line['type'], string> = { context: ' ', added: '+', deleted: '-', note: '\\ ' };
const TEST_FOLDERS = new Set(['tests', 'Tests', 'test', 'Test']);

/** R2E-Gym's rule for a test file: by its name or a folder on its path. */
function isTestFile(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1];
  return (
    path.endsWith('_test.py') ||
    path.startsWith('test_') ||
    name.startsWith('test_') ||
    parts.some((part) => TEST_FOLDERS.has(part))
  );
}

function range({ start, length }: Range): string {
  return length === null || length === undefined ? `${start}` : `${start},${length}`;
}

function fileText(diff: FileDiff): string {
  const { header, index_line: index } = diff;
  let text = `diff --git a/${header.file.path} b/${header.file.path}\n`;
  if (header.misc_line) text += `${header.misc_line}\n`;
  if (index) text += `index ${index.old_commit_hash}..${index.new_commit_hash}${index.mode ? ` ${index.mode}` : ''}\n`;
  if (diff.is_binary_file) text += `${diff.binary_line}\n`;
  if (diff.minus_file && diff.plus_file) text += `--- ${diff.minus_file.path}\n+++ ${diff.plus_file.path}\n`;
  for (const { descriptor, line_group: group } of diff.hunks) {
    const section = descriptor.section ? ` ${descriptor.section}` : '';
    text += `@@ -${range(descriptor.old_range)} +${range(descriptor.new_range)} @@${section}\n`;
    for (const line of group.all_lines) text += `${LINE_PREFIX[line.type]}${line.content}\n`;
  }
  return text;
}

function fileDiffs(row: Row): FileDiff[] {
  const raw = row[FIELD];
  const parsed = typeof raw === 'string' ? parseEncodedValue(FIELD, raw) : raw;
  const diffs = (parsed as { file_diffs?: unknown } | null)?.file_diffs;
  if (!Array.isArray(diffs)) throw new FieldError(FIELD, 'has no file_diffs list');
  diffs.forEach((diff: FileDiff, index) => {
    if (typeof diff?.header?.file?.path !== 'string' || !Array.isArray(diff.hunks))
      throw new FieldError(FIELD, `file_diffs[${index}] has no header.file.path or hunks`);
  });
  return diffs as FileDiff[];
}

/** The fix without its tests, as R2E-Gym writes it; empty when the row keeps no parsed commit. */
export function r2eGymGoldPatch(row: Row): string {
  if (row[FIELD] === undefined || row[FIELD] === null) return '';
  return fileDiffs(row)
    .filter((diff) => diff.header.file.path.endsWith('.py') && !isTestFile(diff.header.file.path))
    .map(fileText)
    .join('');
}
