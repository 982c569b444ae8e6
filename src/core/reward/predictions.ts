/**
 * SWE-bench predictions files: JSONL, a JSON array, or a JSON object keyed by instance id; rows as SWE-bench's
 * harness writes them (`model_name_or_path`, `model_patch`) or as SWE-bench Pro's takes them (`patch`, `prefix`).
 */

import { basename, extname } from 'node:path';
import { readRows, type NumberedRow, type Row } from '../task/rows';
import { formatLoadError, type TaskLoadError } from '../task/task';
import { describeJsonSyntaxError, readJsonText } from '../textFile';
import type { Prediction } from './evaluator';

/**
 * The patch is `model_patch`, else `patch` (SWE-bench Pro's harness reads them in that order); the model's name is
 * `model_name_or_path`, else SWE-bench Pro's run name `prefix`, else the file's name.
 */
function toPrediction(row: Row, file: string): { prediction?: Prediction; field?: string; message?: string } {
  const { instance_id: instanceId, model_name_or_path: name, prefix } = row;
  const patchField = 'model_patch' in row || !('patch' in row) ? 'model_patch' : 'patch';
  const patch = row[patchField];
  if (typeof instanceId !== 'string' || instanceId === '')
    return { field: 'instance_id', message: 'missing or not a string' };
  if (name !== undefined && name !== null && (typeof name !== 'string' || name === ''))
    return { field: 'model_name_or_path', message: 'must be a name or absent' };
  if (patch !== null && patch !== undefined && typeof patch !== 'string')
    return { field: patchField, message: 'must be a string or null' };
  const runName = typeof prefix === 'string' && prefix !== '' ? prefix : basename(file, extname(file));
  const modelName = typeof name === 'string' ? name : runName;
  return { prediction: { instanceId, modelName, patch: typeof patch === 'string' ? patch : null } };
}

export async function loadPredictions(file: string): Promise<{ predictions: Prediction[]; errors: TaskLoadError[] }> {
  const text = await readJsonText(file).catch((error: Error) =>
    Promise.reject(new Error(`${file}: cannot read predictions (${error.message})`)),
  );
  const { rows, errors } = keyedPredictions(file, text) ?? (await readRows(file));
  const predictions: Prediction[] = [];
  const seen = new Set<string>();
  for (const { line, row } of rows) {
    const { prediction, field, message } = toPrediction(row, file);
    if (!prediction) errors.push({ file, line, field, message: message ?? 'bad row' });
    else if (seen.has(prediction.instanceId))
      errors.push({ file, line, field: 'instance_id', message: `duplicate prediction for '${prediction.instanceId}'` });
    else {
      seen.add(prediction.instanceId);
      predictions.push(prediction);
    }
  }
  return { predictions, errors };
}

/**
 * The rows of a JSON object keyed by instance id (as some harness versions write, on one line or several), or
 * null for every other layout, which the dataset reader reads (one prediction alone among them).
 */
function keyedPredictions(file: string, text: string): { rows: NumberedRow[]; errors: TaskLoadError[] } | null {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return null;
  let document: Record<string, Row>;
  try {
    document = JSON.parse(text) as Record<string, Row>;
  } catch (error) {
    // JSON Lines, whose first line is a whole object, or a broken object.
    if (trimmed.split('\n')[0].trim().endsWith('}')) return null;
    const { line, reason } = describeJsonSyntaxError(text, error);
    return { rows: [], errors: [{ file, line, message: `invalid JSON: ${reason}` }] };
  }
  const isKeyed = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  // A lone row (a prediction, or a bad one without its id) is for the dataset reader to read and name by line.
  if ('instance_id' in document || !Object.values(document).every(isKeyed)) return null;
  const rows = Object.entries(document).map(([instanceId, row]) => ({ row: { instance_id: instanceId, ...row } }));
  return { rows, errors: [] };
}

export function describeErrors(errors: TaskLoadError[]): string {
  return errors.map((error) => `  ${formatLoadError(error)}`).join('\n');
}
