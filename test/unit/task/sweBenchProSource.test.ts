/** SWE-bench Pro's rows as ScaleAI/SWE-bench_Pro publishes them (its field names; the values are ours). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentFor } from '../../../src/core/task/environment';
import { loadTasks } from '../../../src/core/task/loadTasks';

const ID = 'instance_NodeBB__NodeBB-0123456789abcdef0123456789abcdef01234567-vnan';

function proRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    repo: 'NodeBB/NodeBB',
    instance_id: ID,
    base_commit: '0123456789abcdef0123456789abcdef01234567',
    patch: 'diff --git a/src/posts.js b/src/posts.js\n',
    test_patch: 'diff --git a/test/posts.js b/test/posts.js\n',
    problem_statement: 'Uploads are not synced on edit',
    requirements: '- editing a post syncs its uploads',
    interface: 'No new interfaces are introduced',
    repo_language: 'js',
    fail_to_pass: "['test/posts.js | post uploads should sync on edit ']",
    pass_to_pass: "['test/posts.js | post uploads should keep others']",
    issue_specificity: "['major_bug']",
    issue_categories: "['back_end_knowledge']",
    before_repo_set_cmd: 'git reset --hard 0123456\ngit clean -fd\ngit checkout 89abcde -- test/posts.js',
    selected_test_files_to_run: "['test/posts.js', 'test/uploads.js']",
    dockerhub_tag: 'nodebb.nodebb-NodeBB__NodeBB-0123456789abcdef0123456789abcdef01234567',
    ...overrides,
  };
}

/** A task file beside a `run_scripts` folder holding each given instance's scripts, as a checkout of the harness. */
function checkout(rows: Record<string, unknown>[], runScript = 'npx mocha "$1" --reporter=json\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'swe-bench-pro-'));
  for (const row of rows) {
    const scripts = join(dir, 'run_scripts', row.instance_id as string);
    mkdirSync(scripts, { recursive: true });
    writeFileSync(join(scripts, 'run_script.sh'), runScript);
    writeFileSync(join(scripts, 'parser.py'), 'import json, sys\n');
  }
  const file = join(dir, 'swe_bench_pro.jsonl');
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
  return file;
}

describe('SWE-bench Pro rows', () => {
  test('a row loads as the harness runs it: its image at /app, its statement, its lists as written', async () => {
    const { tasks, errors } = await loadTasks(checkout([proRow()]));
    assert.deepEqual(errors, []);
    const [task] = tasks;
    assert.deepEqual(
      [task.id, task.dataset, task.harness, task.language],
      [ID, 'swe-bench-pro', 'swe-bench-pro', 'javascript'],
    );
    assert.deepEqual(task.instance, {
      image: 'jefzda/sweap-images:nodebb.nodebb-NodeBB__NodeBB-0123456789abcdef0123456789abcdef01234567',
      workdir: '/app',
    });
    assert.equal(
      task.problemStatement,
      'Uploads are not synced on edit\n\nRequirements:\n- editing a post syncs its uploads\n\n' +
        'New interfaces introduced:\nNo new interfaces are introduced',
    );
    assert.deepEqual(task.failToPass, ['test/posts.js | post uploads should sync on edit ']);
    assert.deepEqual(task.passToPass, ['test/posts.js | post uploads should keep others']);
    assert.equal(task.testPatch, '', 'the harness applies no test patch');
    assert.equal(task.goldPatch, 'diff --git a/src/posts.js b/src/posts.js\n');
    const environment = environmentFor(task);
    assert.deepEqual(environment.build, ['git checkout 89abcde -- test/posts.js']);
    assert.equal(environment.logParser, 'swebench_pro');
    assert.match(environment.testCommand, /^bash \/workspace\/run_script\.sh test\/posts\.js,test\/uploads\.js >/m);
  });

  test("SWE-bench's upper-case FAIL_TO_PASS and PASS_TO_PASS are read too", async () => {
    const row = proRow({ FAIL_TO_PASS: '["t1"]', PASS_TO_PASS: '[]' });
    delete row.fail_to_pass;
    delete row.pass_to_pass;
    const { tasks } = await loadTasks(checkout([row]));
    assert.deepEqual([tasks[0].failToPass, tasks[0].passToPass], [['t1'], []]);
  });

  test('a row whose scripts are not beside the file is named, with the folder it needs; the others load', async () => {
    const other = proRow({ instance_id: `${ID}-other` });
    const file = checkout([other]);
    writeFileSync(file, [JSON.stringify(other), JSON.stringify(proRow())].join('\n'));
    const { tasks, errors } = await loadTasks(file);
    assert.deepEqual(
      tasks.map((task) => task.id),
      [`${ID}-other`],
    );
    assert.equal(errors.length, 1);
    assert.deepEqual([errors[0].line, errors[0].field], [2, 'instance_id']);
    assert.match(errors[0].message, new RegExp(`no .*run_scripts/${ID}/run_script\\.sh: .*scaleapi/SWE-bench_Pro-os`));
  });

  test('a row whose run script installs packages over the network is refused, saying why', async () => {
    const { tasks, errors } = await loadTasks(checkout([proRow()], 'npm install --production=false\nnpx mocha\n'));
    assert.equal(tasks.length, 0);
    assert.match(errors[0].message, /installs packages over the network \('npm install'\)/);
  });

  test('tests run by yarn, a request to loopback, an install named in a comment: no install', async () => {
    const runScript = [
      '# npm install runs when the image is built',
      'yarn workspace proton-mail test --runInBand --ci --testPathPattern="$1"',
      'curl -s http://localhost:8080 > /dev/null || echo "no dev server"',
    ].join('\n');
    const { tasks, errors } = await loadTasks(checkout([proRow()], runScript));
    assert.deepEqual([tasks.length, errors], [1, []]);
  });

  test("a row without dockerhub_tag runs in the image the harness's rule names", async () => {
    const names = JSON.parse(
      readFileSync(join(process.cwd(), 'test', 'fixtures', 'swe-bench-pro', 'image-names.json'), 'utf8'),
    ) as { instance_id: string; repo: string; image: string }[];
    const rows = names.map(({ instance_id, repo }) => proRow({ instance_id, repo, dockerhub_tag: undefined }));
    const { tasks, errors } = await loadTasks(checkout(rows));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => task.instance?.image),
      names.map((name) => name.image),
    );
  });
});
