/** SWE-bench predictions files: JSONL, a JSON array, or a JSON object keyed by instance id. */

import { readRows, type Row } from '../task/rows';
import { formatLoadError, type TaskLoadError } from '../task/task';
import { readJsonText } from '../textFile';
import type { Prediction } from './evaluator';

function toPrediction(row: Row): { prediction?: Prediction; field?: string; message?: string } {
  const { instance_id: instanceId, model_name_or_path: modelName, model_patch: patch } = row;
  if (typeof instanceId !== 'string' || instanceId === '')
    return { field: 'instance_id', message: 'missing or not a string' };
  if (typeof modelName !== 'string' || modelName === '')
    return { field: 'model_name_or_path', message: 'missing or not a string' };
  if (patch !== null && patch !== undefined && typeof patch !== 'string')
    return { field: 'model_patch', message: 'must be a string or null' };
  return { prediction: { instanceId, modelName, patch: typeof patch === 'string' ? patch : null } };
}

export async function loadPredictions(file: string): Promise<{ predictions: Prediction[]; errors: TaskLoadError[] }> {
  const text = await readJsonText(file).catch((error: Error) =>
    Promise.reject(new Error(`${file}: cannot read predictions (${error.message})`)),
  );
  let numbered: { line?: number; row: Row }[];
  const errors: TaskLoadError[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && !trimmed.split('\n')[0].trim().endsWith('}')) {
    let document: Record<string, Row>;
    try {
      document = JSON.parse(text) as Record<string, Row>;
    } catch (error) {
      return { predictions: [], errors: [{ file, message: `invalid JSON: ${(error as Error).message}` }] };
    }
    // One prediction written over several lines, or a JSON object keyed by instance id (as some harness versions
    // write).
    numbered =
      'instance_id' in document
        ? [{ line: 1, row: document }]
        : Object.entries(document).map(([instanceId, row]) => ({ row: { instance_id: instanceId, ...row } }));
  } else {
    const read = await readRows(file);
    numbered = read.rows;
    errors.push(...read.errors);
  }
  const predictions: Prediction[] = [];
  const seen = new Set<string>();
  for (const { line, row } of numbered) {
    const { prediction, field, message } = toPrediction(row);
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

export function describeErrors(errors: TaskLoadError[]): string {
  return errors.map((error) => `  ${formatLoadError(error)}`).join('\n');
}
