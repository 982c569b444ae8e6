/**
 * Every JSON file a user hands the project loads the same with the UTF-8 byte-order mark that Windows editors and
 * PowerShell write first: task files, a task folder's task.json, spec files, predictions and foreign trajectories.
 * Bytes that are not UTF-8 are refused, naming the line, never read as U+FFFD (which would change a patch).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPredictions } from '../../../src/core/reward/predictions';
import { loadEnvironmentSpecs } from '../../../src/core/task/environment';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { readForeignTrajectories } from '../../../src/core/trajectory/import/importer';
import { fixture } from './fixturePaths';

const MARK = '\uFEFF';
const scratch = mkdtempSync(join(tmpdir(), 'rollout-bom-'));

function marked(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `${MARK}${text}`);
  return file;
}

describe('a byte-order mark before JSON', () => {
  test('task files: a JSON array and JSON Lines (CRLF) load every row', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as object[];
    const lines = `${rows.map((row) => JSON.stringify(row)).join('\r\n')}\r\n`;
    for (const file of [marked('tasks.json', JSON.stringify(rows, null, 2)), marked('tasks.jsonl', lines)]) {
      const { tasks, errors } = await loadTasks(file);
      assert.deepEqual(errors, [], file);
      assert.equal(tasks.length, rows.length, file);
    }
  });

  test("a task folder's task.json", async () => {
    const folder = join(scratch, 'bytesize__bytesize-22');
    cpSync(join('tasks', 'examples', 'bytesize__bytesize-22'), folder, { recursive: true });
    writeFileSync(join(folder, 'task.json'), `${MARK}${readFileSync(join(folder, 'task.json'), 'utf8')}`);
    const { tasks, errors } = await loadTasks(folder);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => task.id),
      ['bytesize__bytesize-22'],
    );
  });

  test('a spec file', async () => {
    const specs = await loadEnvironmentSpecs(marked('specs.json', '{"o/r": {"test_framework": "pytest"}}'));
    assert.equal(specs['o/r']?.test_framework, 'pytest');
  });

  test('predictions: JSON Lines and an object keyed by instance id', async () => {
    const prediction = { model_name_or_path: 'm', model_patch: 'diff --git a/x b/x\n' };
    for (const file of [
      marked('preds.jsonl', `${JSON.stringify({ instance_id: 'a__b-1', ...prediction })}\n`),
      marked('preds.json', JSON.stringify({ 'a__b-1': prediction }, null, 2)),
    ]) {
      const { predictions, errors } = await loadPredictions(file);
      assert.deepEqual(errors, [], file);
      assert.deepEqual(
        predictions.map((item) => item.instanceId),
        ['a__b-1'],
        file,
      );
    }
  });

  test('a SWE-agent trajectory to import', async () => {
    const traj = readFileSync(fixture('swe-agent', 'swe-agent__test-repo-i1.traj'), 'utf8');
    const imported = [];
    for await (const trajectory of readForeignTrajectories(marked('run.traj', traj), 'swe-agent'))
      imported.push(trajectory);
    assert.equal(imported.length, 1);
    assert.ok(imported[0]!.turns.length > 0);
  });
});

describe('bytes that are not UTF-8', () => {
  /** The file's rows as JSON Lines, with two bytes that are not UTF-8 put into the patch of row `line`. */
  function withBadBytes(name: string, rows: object[], line: number): string {
    const lines = rows.map((row) => Buffer.from(JSON.stringify(row)));
    const text = lines[line - 1].toString('latin1');
    const at = text.indexOf('diff --git') + 'diff --'.length;
    lines[line - 1] = Buffer.concat([
      lines[line - 1].subarray(0, at),
      Buffer.from([0xff, 0xfe]),
      lines[line - 1].subarray(at),
    ]);
    const file = join(scratch, name);
    writeFileSync(file, Buffer.concat(lines.flatMap((bytes) => [bytes, Buffer.from('\n')])));
    return file;
  }

  test('a task file is refused, naming the line, and no row is read with its patch changed', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as object[];
    const file = withBadBytes('not-utf8.jsonl', rows, 2);
    await assert.rejects(loadTasks(file), { message: `${file}:line 2: not UTF-8 text: no row of the file is read` });
  });

  test('a predictions file is refused, naming the line', async () => {
    const prediction = { instance_id: 'a__b-1', model_name_or_path: 'm', model_patch: 'diff --git a/x b/x\n' };
    const file = withBadBytes('not-utf8-preds.jsonl', [prediction, prediction], 2);
    const error = await loadPredictions(file).then(
      (loaded) => JSON.stringify(loaded.errors),
      (caught: unknown) => String(caught),
    );
    assert.match(error, /line 2 is not UTF-8 text/);
  });
});
