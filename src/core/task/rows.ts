/**
 * Reading dataset rows as they are published (a JSON array, JSONL, or Parquet as Hugging Face serves it) with
 * where each row is, and typed field readers that name the field on error.
 */

import { readFile, stat } from 'node:fs/promises';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { describeJsonSyntaxError, NotUtf8Error, utf8Text } from '../textFile';
import { parsePythonLiteral, PythonLiteralError } from './pythonLiteral';
import { FieldError, type Task, type TaskLoadError, type TaskLoadResult } from './task';

export type Row = Record<string, unknown>;

export interface NumberedRow {
  /** 1-based line where the row starts, in a text file. */
  line?: number;
  /** 1-based position of the row in a Parquet file. */
  position?: number;
  row: Row;
}

const PARQUET_MAGIC = 'PAR1';

interface ReadResult {
  rows: NumberedRow[];
  errors: TaskLoadError[];
}

// The last file read, kept while unchanged: detecting a file's format and loading it read it once.
let lastRead: { file: string; stamp: string; result: Promise<ReadResult> } | undefined;

/** Rows of a JSON array, JSONL or Parquet file (told apart by content, not by name), each with where it is. */
export async function readRows(file: string): Promise<ReadResult> {
  const info = await stat(file);
  const stamp = `${info.size}:${info.mtimeMs}`;
  if (lastRead?.file !== file || lastRead.stamp !== stamp) lastRead = { file, stamp, result: readRowsNow(file) };
  const { rows, errors } = await lastRead.result;
  return { rows, errors: [...errors] };
}

async function readRowsNow(file: string): Promise<ReadResult> {
  const bytes = await readFile(file);
  if (bytes.subarray(0, 4).toString('latin1') === PARQUET_MAGIC) return readParquet(file, bytes);
  let text: string;
  try {
    text = utf8Text(bytes, file);
  } catch (error) {
    if (!(error instanceof NotUtf8Error)) throw error;
    return { rows: [], errors: [{ file, line: error.line, message: 'not UTF-8 text: no row of the file is read' }] };
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return readJsonArray(file, text);
  return readJsonDocument(text) ?? readJsonLines(file, text);
}

/** A file holding one task as a JSON object written over several lines (one instance saved on its own), or null. */
function readJsonDocument(text: string): { rows: NumberedRow[]; errors: TaskLoadError[] } | null {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') || !trimmed.trimEnd().includes('\n')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON Lines (or a broken file, which the line reader names by line).
    return null;
  }
  const line = text.slice(0, text.length - trimmed.length).split('\n').length;
  return isRow(value) ? { rows: [{ line, row: value }], errors: [] } : null;
}

async function readParquet(file: string, bytes: Buffer): Promise<{ rows: NumberedRow[]; errors: TaskLoadError[] }> {
  let objects: Row[];
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    objects = await parquetReadObjects({ file: buffer, compressors });
  } catch (error) {
    return { rows: [], errors: [{ file, message: `not a readable Parquet file: ${(error as Error).message}` }] };
  }
  return {
    rows: objects.map((object, index) => ({ position: index + 1, row: plainValue(object) as Row })),
    errors: [],
  };
}

/** Parquet values as JSON would have them: int64 as numbers (exact below 2^53), nested lists and structs as arrays and objects. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, plainValue);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plainValue(inner)]));
  return value;
}

function readJsonLines(file: string, text: string): { rows: NumberedRow[]; errors: TaskLoadError[] } {
  const rows: NumberedRow[] = [];
  const errors: TaskLoadError[] = [];
  text.split('\n').forEach((lineText, index) => {
    if (lineText.trim() === '') return;
    const line = index + 1;
    try {
      const value: unknown = JSON.parse(lineText);
      if (isRow(value)) rows.push({ line, row: value });
      else errors.push({ file, line, message: 'row is not a JSON object' });
    } catch (error) {
      errors.push({ file, line, message: `invalid JSON: ${(error as Error).message}` });
    }
  });
  return { rows, errors };
}

function readJsonArray(file: string, text: string): { rows: NumberedRow[]; errors: TaskLoadError[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const { line, reason } = describeJsonSyntaxError(text, error);
    return { rows: [], errors: [{ file, line, message: `invalid JSON: ${reason}` }] };
  }
  const lines = elementStartLines(text);
  const rows: NumberedRow[] = [];
  const errors: TaskLoadError[] = [];
  (parsed as unknown[]).forEach((value, index) => {
    const line = lines[index] ?? 1;
    if (isRow(value)) rows.push({ line, row: value });
    else errors.push({ file, line, message: `element ${index} is not a JSON object` });
  });
  return { rows, errors };
}

/** The line on which each top-level element of a JSON array starts. */
function elementStartLines(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (/\s/.test(ch)) continue;
    if (depth === 1 && expectElement) {
      starts.push(line);
      expectElement = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectElement = true;
  }
  return starts;
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface LoadRowsOptions {
  /** The field a repeated task id is reported under (default `instance_id`). */
  idField?: string;
  /** A whole-file step before ids are checked for repeats (CodeAssistBench tells rows of one issue apart). */
  distinguish?: (tasks: Task[]) => Task[];
}

/**
 * Loads every row with `toTask`, turning a FieldError into an error that names file, line (or row) and field; a
 * row whose id an earlier row holds is an error at its own place, and the earlier row is kept.
 */
export async function loadRows(
  file: string,
  toTask: (row: Row) => Task,
  { idField = 'instance_id', distinguish = (tasks) => tasks }: LoadRowsOptions = {},
): Promise<TaskLoadResult> {
  const { rows, errors } = await readRows(file);
  const converted: { task: Task; place: RowPlace }[] = [];
  for (const { line, position, row } of rows) {
    try {
      converted.push({ task: toTask(row), place: { line, row: position } });
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push({ file, line, row: position, field: error.field, message: error.message });
    }
  }
  distinguish(converted.map(({ task }) => task));
  const tasks: Task[] = [];
  const firstPlace = new Map<string, string>();
  for (const { task, place } of converted) {
    const first = firstPlace.get(task.id);
    if (first === undefined) {
      firstPlace.set(task.id, place.line === undefined ? `in row ${place.row}` : `on line ${place.line}`);
      tasks.push(task);
    } else {
      const message = `duplicate task id '${task.id}' (first ${first})`;
      errors.push({ file, line: place.line, row: place.row, field: idField, message });
    }
  }
  errors.sort((a, b) => (a.line ?? a.row ?? 0) - (b.line ?? b.row ?? 0));
  return { tasks, errors };
}

interface RowPlace {
  line?: number;
  row?: number;
}

export function requiredString(row: Row, field: string): string {
  const value = row[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new FieldError(field, value === undefined ? 'missing' : 'must be a non-empty string');
  return value;
}

export function optionalString(row: Row, field: string): string | undefined {
  const value = row[field];
  if (value === undefined || value === null || value === 'None') return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new FieldError(field, 'must be a string');
  return value;
}

/** A field holding a list, given as a JSON array, a JSON-encoded string, or a Python-literal string. */
export function listField(row: Row, field: string, options: { required: boolean }): unknown[] {
  const value = row[field];
  if (value === undefined || value === null || value === 'None') {
    if (options.required) throw new FieldError(field, 'missing');
    return [];
  }
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const parsed = parseEncodedValue(field, value);
    if (Array.isArray(parsed)) return parsed;
  }
  throw new FieldError(field, 'must be a list (a JSON array, a JSON-encoded list, or a Python-literal list)');
}

export function stringListField(row: Row, field: string, options: { required: boolean }): string[] {
  const list = listField(row, field, options);
  list.forEach((item, index) => {
    if (typeof item !== 'string') throw new FieldError(field, `element ${index} must be a string`);
  });
  return list as string[];
}

/**
 * A field holding an object, or its text (as parseEncodedValue reads it; a Parquet or CSV export holds it so);
 * undefined where the row has none. `what` says what the object is, for the error of a value that is not one.
 */
export function optionalObjectField(row: Row, field: string, what: string): Row | undefined {
  const given = row[field];
  if (given === undefined || given === null) return undefined;
  const value = typeof given === 'string' ? parseEncodedValue(field, given) : given;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FieldError(field, `must be an object (${what})`);
  return value as Row;
}

/** A value stored as text: JSON first, then a Python literal (single quotes, None/True/False). */
export function parseEncodedValue(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parsePythonLiteral(text);
    } catch (error) {
      const detail = error instanceof PythonLiteralError ? error.message : String(error);
      throw new FieldError(field, `is neither JSON nor a Python literal (${detail})`);
    }
  }
}
