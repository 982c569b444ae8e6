import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPredictions } from '../../../src/core/reward/predictions';

function file(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-preds-')), name);
  writeFileSync(path, content);
  return path;
}

describe('SWE-bench predictions loader', () => {
  test('reads JSONL rows, a null patch as no submission, and names bad rows by line and field', async () => {
    const rows = [
      { instance_id: 'a', model_name_or_path: 'm', model_patch: 'diff' },
      { instance_id: 'b', model_name_or_path: 'm', model_patch: null },
      { instance_id: 'c', model_patch: 'diff' },
      { instance_id: 'a', model_name_or_path: 'm', model_patch: 'again' },
      { instance_id: 'd', model_name_or_path: 'm', model_patch: 42 },
    ];
    const path = file('preds.jsonl', rows.map((row) => JSON.stringify(row)).join('\n'));
    const { predictions, errors } = await loadPredictions(path);
    assert.deepEqual(predictions, [
      { instanceId: 'a', modelName: 'm', patch: 'diff' },
      { instanceId: 'b', modelName: 'm', patch: null },
    ]);
    assert.deepEqual(
      errors.map((error) => [error.file, error.line, error.field]),
      [
        [path, 3, 'model_name_or_path'],
        [path, 4, 'instance_id'],
        [path, 5, 'model_patch'],
      ],
    );
  });

  test('reads a JSON object keyed by instance id', async () => {
    const path = file('preds.json', JSON.stringify({ a: { model_name_or_path: 'm', model_patch: 'p' } }, null, 2));
    assert.deepEqual((await loadPredictions(path)).predictions, [{ instanceId: 'a', modelName: 'm', patch: 'p' }]);
  });

  test('reads a JSON object keyed by instance id written on one line (json.dump without indent)', async () => {
    const path = file('preds.json', JSON.stringify({ a: { model_name_or_path: 'm', model_patch: 'p' } }));
    assert.deepEqual(await loadPredictions(path), {
      predictions: [{ instanceId: 'a', modelName: 'm', patch: 'p' }],
      errors: [],
    });
  });

  test('a lone row without its instance id is named by line and field, not read as a keyed object', async () => {
    const path = file('pred.jsonl', JSON.stringify({ model_name_or_path: 'm', model_patch: 'p' }));
    assert.deepEqual((await loadPredictions(path)).errors, [
      { file: path, line: 1, field: 'instance_id', message: 'missing or not a string' },
    ]);
  });

  test('reads one prediction written over several lines', async () => {
    const one = { instance_id: 'a', model_name_or_path: 'm', model_patch: 'p' };
    const path = file('pred.json', JSON.stringify(one, null, 2));
    assert.deepEqual(await loadPredictions(path), {
      predictions: [{ instanceId: 'a', modelName: 'm', patch: 'p' }],
      errors: [],
    });
  });

  test('a broken JSON object is one error naming the file, not an exception', async () => {
    const path = file('preds.json', '{\n  "a": {"model_name_or_path": "m",\n');
    const { predictions, errors } = await loadPredictions(path);
    assert.deepEqual(predictions, []);
    assert.deepEqual(
      errors.map((error) => [error.file, error.line]),
      [[path, undefined]],
    );
    assert.match(errors[0]!.message, /^invalid JSON: /);
  });
});
