import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTasks } from '../../../src/core/task/loadTasks';
import { formatLoadError } from '../../../src/core/task/task';
import { fixture } from './fixturePaths';

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-tasks-')), name);
  writeFileSync(path, content);
  return path;
}

describe('SWE-bench loader', () => {
  test('loads every row of the real SWE-bench Lite sample with official fields', async () => {
    const { tasks, errors } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    assert.deepEqual(errors, []);
    assert.equal(tasks.length, 5);
    const sympy = tasks.find((task) => task.id === 'sympy__sympy-13031');
    assert.ok(sympy);
    assert.equal(sympy.kind, 'swe-bench');
    assert.deepEqual(sympy.repo, {
      name: 'sympy/sympy',
      location: 'https://github.com/sympy/sympy.git',
      commit: '2dfa7457f20ee187fbb09b5b6a1631da4458388c',
    });
    assert.equal(sympy.version, '1.1');
    assert.deepEqual(sympy.failToPass, ['test_sparse_matrix']);
    assert.match(sympy.goldPatch, /^diff --git a\/sympy\/matrices\/sparse.py/);
    assert.match(sympy.testPatch, /^diff --git a\/sympy\/matrices\/tests\/test_sparse.py/);
  });

  test('reads FAIL_TO_PASS and PASS_TO_PASS given as JSON-encoded strings in JSONL', async () => {
    const fromLists = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const fromStrings = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample-string-lists.jsonl'));
    assert.deepEqual(fromStrings.errors, []);
    assert.deepEqual(fromStrings.tasks, fromLists.tasks);
  });

  test('a repeated task id is an error on the repeating row, naming its line and the first; the first row is kept (found by fuzzing)', async () => {
    const rows = readFileSync(fixture('swe-bench', 'swe-bench-lite-sample-string-lists.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const again = JSON.stringify({ ...JSON.parse(rows[0]), hints_text: 'again' });
    const file = tempFile('repeated.jsonl', `${rows[0]}\n${rows[1]}\n${again}\n`);
    const { tasks, errors } = await loadTasks(file);
    assert.equal(tasks.length, 2);
    assert.notEqual(tasks[0].hints, 'again', 'the first row is the one kept');
    assert.equal(errors.length, 1);
    assert.equal(
      formatLoadError(errors[0]),
      `${file}:line 3 field 'instance_id': duplicate task id '${tasks[0].id}' (first on line 1)`,
    );
  });

  test('a bad row is named by file, line and field while the good rows still load', async () => {
    const good = readFileSync(fixture('swe-bench', 'swe-bench-lite-sample-string-lists.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const noCommit = JSON.parse(good[1]) as Record<string, unknown>;
    delete noCommit.base_commit;
    const badList = { ...(JSON.parse(good[2]) as Record<string, unknown>), FAIL_TO_PASS: 'not a list' };
    const file = tempFile(
      'bad.jsonl',
      [good[0], JSON.stringify(noCommit), JSON.stringify(badList), '{broken', good[3]].join('\n'),
    );
    const { tasks, errors } = await loadTasks(file);
    assert.equal(tasks.length, 2);
    assert.deepEqual(
      errors.map((error) => [error.line, error.field]),
      [
        [2, 'base_commit'],
        [3, 'FAIL_TO_PASS'],
        [4, undefined],
      ],
    );
    assert.equal(formatLoadError(errors[0]), `${file}:line 2 field 'base_commit': missing`);
    assert.match(errors[2].message, /invalid JSON/);
  });

  test('names the line where a bad element of a JSON array starts', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    rows[1] = { ...rows[1], repo: 'not a repo name' };
    const text = JSON.stringify(rows.slice(0, 2), null, 2);
    const { tasks, errors } = await loadTasks(tempFile('bad.json', text));
    assert.equal(tasks.length, 1);
    const elementStarts = text.split('\n').flatMap((line, index) => (line === '  {' ? [index + 1] : []));
    assert.equal(elementStarts.length, 2);
    const expectedLine = elementStarts[1];
    assert.deepEqual([errors[0].line, errors[0].field], [expectedLine, 'repo']);
  });

  test('a JSON array that is not JSON (a comma missing) is refused naming the line and column', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as object[];
    const lines = JSON.stringify(rows.slice(0, 2), null, 2).split('\n');
    const lineWithComma = lines.findIndex((line, index) => index > 5 && /^    "\w+": .*,$/.test(line));
    lines[lineWithComma] = lines[lineWithComma].replace(/,$/, '');
    const file = tempFile('arr_comma.json', lines.join('\n'));
    await assert.rejects(loadTasks(file), {
      message: `${file}:line ${lineWithComma + 2}: invalid JSON: Expected ',' or '}' after property value (column 5)`,
    });
  });
});

describe('CodeAssistBench loader', () => {
  test('loads every row of the real CAB release (JSON arrays, null Dockerfile)', async () => {
    const { tasks, errors } = await loadTasks(fixture('cab', 'cab_verified_lenient.jsonl'));
    assert.deepEqual(errors, []);
    assert.equal(tasks.length, 54);
    const first = tasks[0];
    assert.equal(first.kind, 'cab');
    assert.deepEqual(first.repo, {
      name: 'EmberEmu/Hexi',
      location: 'https://github.com/EmberEmu/Hexi.git',
      commit: 'cba07f2ef9603d2e27386df4e339c685f5767136',
    });
    assert.equal(first.language, 'c++');
    assert.equal(first.cab?.comments.length, 2);
    assert.equal(first.cab?.dockerfile, undefined);
    assert.equal(first.cab?.category, 'Does not need build environment');
    assert.deepEqual([...new Set(tasks.map((task) => task.cab?.category))].sort(), [
      'Can be dockerized without any issue',
      'Does not need build environment',
    ]);
    assert.ok(tasks.some((task) => task.cab?.dockerfile?.startsWith('FROM ')));
    assert.ok(tasks.every((task) => (task.cab?.satisfactionConditions.length ?? 0) > 0));
  });

  test('every released split loads, every row with a unique id; rows without task_id are named by their issue', async () => {
    const splits = { 'cab_verified_lenient.jsonl': 54, 'cab_verified_strict.jsonl': 95, 'cab_recent.jsonl': 308 };
    for (const [file, rows] of Object.entries(splits)) {
      const { tasks, errors } = await loadTasks(fixture('cab', file));
      assert.deepEqual(errors, [], file);
      assert.equal(tasks.length, rows, file);
      assert.equal(new Set(tasks.map((task) => task.id)).size, rows, `${file}: unique ids`);
      assert.ok(tasks.every((task) => task.kind === 'cab' && task.cab!.satisfactionConditions.length > 0));
    }
    const recent = (await loadTasks(fixture('cab', 'cab_recent.jsonl'))).tasks;
    const gdterm = recent.find((task) => task.cab?.url === 'https://github.com/markeel/gdterm/issues/39');
    assert.equal(gdterm?.id, 'markeel__gdterm-39', 'owner__name-NUMBER from the issue URL');
    // cab_recent lists two issues once per language of their repository: the language tells them apart.
    assert.deepEqual(
      recent.filter((task) => task.cab?.url === 'https://github.com/levywang/avhub/issues/6').map((task) => task.id),
      ['levywang__avhub-6-c', 'levywang__avhub-6-javascript'],
    );
    assert.ok(
      recent.some((task) => task.problemStatement === task.cab?.title),
      'a row whose body is null loads',
    );
    const again = (await loadTasks(fixture('cab', 'cab_recent.jsonl'))).tasks;
    assert.deepEqual(
      again.map((task) => task.id),
      recent.map((task) => task.id),
      'ids are stable from one load to the next',
    );
  });

  test('reads the Python-literal style (single quotes, the string None) into the same tasks', async () => {
    const literal = await loadTasks(fixture('cab', 'cab_python_literal.jsonl'));
    assert.deepEqual(literal.errors, []);
    const original = await loadTasks(fixture('cab', 'cab_verified_lenient.jsonl'));
    const byId = new Map(original.tasks.map((task) => [task.id, task]));
    assert.equal(literal.tasks.length, 4);
    for (const task of literal.tasks) assert.deepEqual(task, byId.get(task.id));
    assert.deepEqual(literal.tasks[2].cab?.labels, ['enhancement', 'ADVANCED', 'SWOC']);
  });

  test('a malformed Python literal names its field and line', async () => {
    const rows = readFileSync(fixture('cab', 'cab_python_literal.jsonl'), 'utf8').trim().split('\n');
    const broken = { ...(JSON.parse(rows[1]) as Record<string, unknown>), satisfaction_conditions: "['unterminated" };
    const { tasks, errors } = await loadTasks(tempFile('cab.jsonl', [rows[0], JSON.stringify(broken)].join('\n')));
    assert.equal(tasks.length, 1);
    assert.deepEqual([errors[0].line, errors[0].field], [2, 'satisfaction_conditions']);
    assert.match(errors[0].message, /neither JSON nor a Python literal/);
  });
});

describe('format detection', () => {
  test('a file of neither format is refused with its path', async () => {
    const file = tempFile('other.jsonl', '{"name": "x"}\n');
    await assert.rejects(loadTasks(file), new RegExp(`${file}: not a task file`));
  });

  test('a missing path is refused with its path', async () => {
    await assert.rejects(loadTasks('/nonexistent/tasks.jsonl'), /\/nonexistent\/tasks.jsonl: no such file or folder/);
  });
});
