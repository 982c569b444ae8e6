import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
      { instance_id: 'c', model_name_or_path: 7, model_patch: 'diff' },
      { instance_id: 'a', model_name_or_path: 'm', model_patch: 'again' },
      { instance_id: 'd', model_name_or_path: 'm', model_patch: 42 },
      { instance_id: 'e', patch: ['not', 'a', 'patch'] },
      { instance_id: 'f', model_patch: 'diff' },
    ];
    const path = file('preds.jsonl', rows.map((row) => JSON.stringify(row)).join('\n'));
    const { predictions, errors } = await loadPredictions(path);
    assert.deepEqual(predictions, [
      { instanceId: 'a', modelName: 'm', patch: 'diff' },
      { instanceId: 'b', modelName: 'm', patch: null },
      { instanceId: 'f', modelName: 'preds', patch: 'diff' },
    ]);
    assert.deepEqual(
      errors.map((error) => [error.file, error.line, error.field]),
      [
        [path, 3, 'model_name_or_path'],
        [path, 4, 'instance_id'],
        [path, 5, 'model_patch'],
        [path, 6, 'patch'],
      ],
    );
  });

  test("reads SWE-bench Pro's patches file as its harness does (scaleapi/SWE-bench_Pro-os ca10a60, committed readings)", async () => {
    const fixture = join(process.cwd(), 'test', 'fixtures', 'predictions', 'swe-bench-pro-format');
    const harness = JSON.parse(readFileSync(join(fixture, 'harness-read.json'), 'utf8')) as {
      read: Record<string, { patch: string; prefix: string }>;
    };
    const { predictions, errors } = await loadPredictions(join(fixture, 'patches.json'));
    assert.deepEqual(errors, []);
    const patches = Object.fromEntries(predictions.map((prediction) => [prediction.instanceId, prediction.patch]));
    const harnessPatches = Object.entries(harness.read).map(([id, read]) => [id, read.patch]);
    assert.deepEqual(patches, Object.fromEntries(harnessPatches), 'model_patch first, else patch');
    const names = Object.fromEntries(predictions.map((prediction) => [prediction.instanceId, prediction.modelName]));
    const runNames = Object.entries(harness.read).map(([id, read]) => [id, read.prefix || 'patches']);
    assert.deepEqual(names, Object.fromEntries(runNames), "the harness's run name (prefix), else the file's name");
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

  test('a broken JSON object is one error naming the file and line, not an exception', async () => {
    const path = file('preds.json', '{\n  "a": {"model_name_or_path": "m",\n');
    const { predictions, errors } = await loadPredictions(path);
    assert.deepEqual(predictions, []);
    assert.deepEqual(
      errors.map((error) => [error.file, error.line]),
      [[path, 2]],
    );
    assert.match(errors[0]!.message, /^invalid JSON: /);
  });

  test('a JSON object keyed by id with a comma missing names the line and column', async () => {
    const text = '{\n  "a": {"model_patch": "p"},\n  "b": {"model_patch": "q"}\n  "c": {"model_patch": "r"}\n}\n';
    const { errors } = await loadPredictions(file('preds.json', text));
    assert.deepEqual(
      errors.map((error) => [error.line, error.message]),
      [[4, "invalid JSON: Expected ',' or '}' after property value (column 3)"]],
    );
  });
});
