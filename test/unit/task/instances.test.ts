import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { gradeLog } from '../../../src/core/reward/gradeTask';
import { CURRENT_HARNESS_VERSION } from '../../../src/core/reward/harnessVersion';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { testCommandFor, testFilesOf } from '../../../src/core/task/environment';
import {
  checkImageTemplate,
  CONDA_TESTBED_ACTIVATION,
  instanceImage,
  withNamespace,
} from '../../../src/core/task/instanceImages';
import { loadTasks } from '../../../src/core/task/loadTasks';
import harnessTable from '../../../src/core/task/multiSweBenchHarness.json';
import { multiSweBenchRowToTask, rangeOrReleaseName } from '../../../src/core/task/multiSweBenchSource';
import { reversePatch } from '../../../src/core/task/patchReverse';
import { taskImage } from '../../../src/core/task/taskSandbox';
import { formatLoadError, type Task } from '../../../src/core/task/task';
import { fixture } from './fixturePaths';

function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollout-instances-')), name);
  writeFileSync(path, content);
  return path;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    encoding: 'utf8',
  });
}

type Column = { name: string; strings?: boolean; lists?: boolean };

/** A Parquet file of rows as Hugging Face publishes them: strings as UTF8, lists of strings as LIST columns. */
function parquetOf(rows: Record<string, unknown>[], columns: Column[]): Buffer {
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) {
    if (column.lists) {
      schema.push(
        { name: column.name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      );
    } else schema.push({ name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  }
  const buffer = parquetWriteBuffer({
    columnData: columns.map((column) => ({ name: column.name, data: rows.map((row) => row[column.name] ?? null) })),
    schema: schema as never,
  });
  return Buffer.from(buffer);
}

const SWE_BENCH_COLUMNS: Column[] = [
  'repo',
  'instance_id',
  'base_commit',
  'patch',
  'test_patch',
  'problem_statement',
  'hints_text',
  'created_at',
  'version',
  'environment_setup_commit',
].map((name) => ({ name }));

const settings = { imageForProfile };

describe('instance images', () => {
  test('a SWE-bench row is named as the harness itself names it, under each namespace', async () => {
    const harness = JSON.parse(readFileSync(fixture('instance-images', 'harness-image-names.json'), 'utf8')) as {
      names: Record<string, Record<string, string>>;
    };
    for (const [namespace, names] of Object.entries(harness.names)) {
      for (const [id, name] of Object.entries(names)) {
        const task = { id, instance: { workdir: '/testbed' } } as Task;
        const options = namespace === 'swebench' ? {} : { namespace };
        assert.equal(instanceImage(task, options), name, `${id} under ${namespace}`);
      }
    }
  });

  test('SWE-Gym images write __ as _s_; a template of our own; a namespace replaces the image namespace', () => {
    const task = { id: 'Project-MONAI__MONAI-3715', instance: { workdir: '/testbed' } } as Task;
    assert.equal(
      instanceImage(task, { template: 'swe-gym' }),
      'xingyaoww/sweb.eval.x86_64.project-monai_s_monai-3715:latest',
    );
    assert.equal(
      instanceImage(task, { template: 'registry.example/{instance_id}:v1' }),
      'registry.example/Project-MONAI__MONAI-3715:v1',
    );
    assert.equal(
      withNamespace('jyangballin/swesmith.x86_64.oauthlib_1776_oauthlib.1fd52536', 'localhost:5000/mirror/'),
      'localhost:5000/mirror/swesmith.x86_64.oauthlib_1776_oauthlib.1fd52536',
    );
    assert.equal(
      withNamespace('mswebench/ponylang_m_ponyc:pr-4583', 'localhost:5000'),
      'localhost:5000/ponylang_m_ponyc:pr-4583',
    );
    assert.throws(
      () => checkImageTemplate('no-placeholder:latest'),
      /name one of swe-bench, swe-gym, swe-rebench, profile/,
    );
  });

  test('a SWE-bench row runs in its instance image at /testbed, or with --repos (or template profile) in its profile image', async () => {
    const { tasks } = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const django = tasks.find((task) => task.id === 'django__django-16255') as Task;
    assert.deepEqual(django.instance, {
      image: undefined,
      workdir: '/testbed',
      activate:
        'if [ -e /opt/miniconda3/bin/activate ]; then source /opt/miniconda3/bin/activate && conda activate testbed; fi',
    });
    assert.deepEqual(taskImage(django, settings), {
      environment: taskImage(django, settings).environment,
      image: 'swebench/sweb.eval.x86_64.django_1776_django-16255:latest',
      instance: true,
    });
    const copied = { image: imageForProfile('python'), instance: false };
    assert.deepEqual(
      (({ image, instance }) => ({ image, instance }))(taskImage(django, { ...settings, repos: { reposDir: '/r' } })),
      copied,
    );
    assert.deepEqual(
      (({ image, instance }) => ({ image, instance }))(
        taskImage(django, { ...settings, instanceImages: { template: 'profile' } }),
      ),
      copied,
    );
  });

  test("a SWE-bench Multilingual row (no language field) takes its repository's language and test command from the harness's tables", async () => {
    const [lite] = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const rows = [
      { ...lite, instance_id: 'google__gson-1093', repo: 'google/gson', version: '2.8' },
      { ...lite, instance_id: 'tokio-rs__axum-1119', repo: 'tokio-rs/axum', version: '1119' },
    ];
    const { tasks, errors } = await loadTasks(tempFile('multilingual.json', JSON.stringify(rows)));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => [task.language, taskImage(task, settings).environment.logParser]),
      [
        ['java', 'maven'],
        ['rust', 'cargo'],
      ],
    );
    assert.equal(taskImage(tasks[1], settings).image, 'swebench/sweb.eval.x86_64.tokio-rs_1776_axum-1119:latest');
  });

  test("a SWE-Gym row (SWE-bench's format, one of SWE-Gym's repositories) runs in SWE-Gym's image with no flag", async () => {
    const [lite] = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const rows = [
      { ...lite, instance_id: 'Project-MONAI__MONAI-3715', repo: 'Project-MONAI/MONAI', version: '0.8' },
      lite,
    ];
    const { tasks, errors } = await loadTasks(
      tempFile('swe-gym.jsonl', rows.map((row) => JSON.stringify(row)).join('\n')),
    );
    assert.deepEqual(errors, []);
    const [gym, bench] = tasks;
    assert.deepEqual([gym.dataset, bench.dataset], ['swe-gym', 'swe-bench']);
    assert.equal(taskImage(gym, settings).image, 'xingyaoww/sweb.eval.x86_64.project-monai_s_monai-3715:latest');
    assert.equal(
      taskImage(bench, settings).image,
      `swebench/sweb.eval.x86_64.${bench.id.replace('__', '_1776_')}:latest`,
    );
    // --image-template and --namespace still decide when given.
    const named = { ...settings, instanceImages: { template: 'swe-bench', namespace: 'localhost:5000/mirror' } };
    assert.equal(
      taskImage(gym, named).image,
      'localhost:5000/mirror/sweb.eval.x86_64.project-monai_1776_monai-3715:latest',
    );
  });
});

describe("SWE-Gym's test commands", () => {
  test('each repository is tested by the command SWE-Gym runs for it, mypy by the [case …] names its test patch adds', async () => {
    const lite = (
      JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<string, unknown>[]
    )[0];
    const mypyPatch = [
      'diff --git a/test-data/unit/check-classes.test b/test-data/unit/check-classes.test',
      '--- a/test-data/unit/check-classes.test',
      '+++ b/test-data/unit/check-classes.test',
      '@@ -1,1 +1,4 @@',
      '+[case testSlotsWithAny]',
      '+[case testNewTypeOf]',
      '',
    ].join('\n');
    const rows = [
      { ...lite, instance_id: 'python__mypy-15050', repo: 'python/mypy', version: '1.4', test_patch: mypyPatch },
      { ...lite, instance_id: 'python__mypy-16053', repo: 'python/mypy', version: '1.8', test_patch: mypyPatch },
      { ...lite, instance_id: 'getmoto__moto-5752', repo: 'getmoto/moto', version: '4.0' },
      { ...lite, instance_id: 'conan-io__conan-13757', repo: 'conan-io/conan', version: '2.0' },
      { ...lite, instance_id: 'pandas-dev__pandas-53652', repo: 'pandas-dev/pandas', version: '2.1' },
    ];
    const { tasks, errors } = await loadTasks(
      tempFile('swe-gym.jsonl', rows.map((row) => JSON.stringify(row)).join('\n')),
    );
    assert.deepEqual(errors, []);
    const files = testFilesOf(lite.test_patch as string).join(' ');
    assert.deepEqual(
      tasks.map((task) => {
        const { environment } = taskImage(task, settings);
        return [testCommandFor(environment, task), environment.logParser, environment.install];
      }),
      [
        [`pytest -n0 -rA -k 'testSlotsWithAny or testNewTypeOf'`, 'pytest', []],
        [`pytest -rA -k 'testSlotsWithAny or testNewTypeOf'`, 'pytest', []],
        [`pytest -n0 -rA ${files}`, 'pytest', []],
        [`pytest -n0 -rA ${files}`, 'pytest', ['export PYTHONPATH=${PYTHONPATH:-}:$(pwd)']],
        [`pytest -rA --tb=long ${files}`, 'pytest', []],
      ],
    );
  });
});

describe('dataset files as people download them', () => {
  test('the SWE-bench Lite rows load identically from JSON, JSONL and Parquet (lists as Parquet LIST columns)', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const parquet = tempFile(
      'test-00000-of-00001.parquet',
      parquetOf(rows, [
        ...SWE_BENCH_COLUMNS,
        { name: 'FAIL_TO_PASS', lists: true },
        { name: 'PASS_TO_PASS', lists: true },
      ]),
    );
    const fromJson = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    const fromJsonl = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample-string-lists.jsonl'));
    const fromParquet = await loadTasks(parquet);
    assert.deepEqual(fromParquet.errors, []);
    assert.equal(fromParquet.tasks.length, 5);
    assert.deepEqual(fromParquet.tasks, fromJson.tasks);
    assert.deepEqual(fromJsonl.tasks, fromJson.tasks);
  });

  test('Parquet with the test lists as JSON-encoded strings (the older releases) loads the same', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const encoded = rows.map((row) => ({
      ...row,
      FAIL_TO_PASS: JSON.stringify(row.FAIL_TO_PASS),
      PASS_TO_PASS: JSON.stringify(row.PASS_TO_PASS),
    }));
    const parquet = tempFile(
      'encoded.parquet',
      parquetOf(encoded, [...SWE_BENCH_COLUMNS, { name: 'FAIL_TO_PASS' }, { name: 'PASS_TO_PASS' }]),
    );
    const fromJson = await loadTasks(fixture('swe-bench', 'swe-bench-lite-sample.json'));
    assert.deepEqual((await loadTasks(parquet)).tasks, fromJson.tasks);
  });

  test('a bad Parquet row is named by file, row and field; the good rows still load', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    rows[2] = { ...rows[2], base_commit: 'not a commit' };
    const parquet = tempFile(
      'bad.parquet',
      parquetOf(rows, [
        ...SWE_BENCH_COLUMNS,
        { name: 'FAIL_TO_PASS', lists: true },
        { name: 'PASS_TO_PASS', lists: true },
      ]),
    );
    const { tasks, errors } = await loadTasks(parquet);
    assert.equal(tasks.length, 4);
    assert.equal(errors.length, 1);
    assert.equal(
      formatLoadError(errors[0]),
      `${parquet}:row 3 field 'base_commit': 'not a commit' is not a commit hash`,
    );
  });

  test('a file that is not Parquet but says PAR1 is one clear error', async () => {
    const file = tempFile('broken.parquet', 'PAR1 and then nothing useful');
    await assert.rejects(loadTasks(file), (error: Error) =>
      error.message.startsWith(`${file}: not a readable Parquet file`),
    );
  });

  const SWE_SMITH_INSTANCE = fixture('swe-smith', 'pandas-dev__pandas.95280573.pr_53652.json');
  const instance = (): Record<string, unknown> =>
    JSON.parse(readFileSync(SWE_SMITH_INSTANCE, 'utf8')) as Record<string, unknown>;

  test('one instance saved on its own, as a JSON object over many lines (as published), loads as one row', async () => {
    const published = readFileSync(SWE_SMITH_INSTANCE, 'utf8');
    assert.ok(published.trimStart().startsWith('{') && published.split('\n').length > 10);
    const { tasks, errors } = await loadTasks(SWE_SMITH_INSTANCE);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => [task.dataset, task.id]),
      [['swe-smith', 'pandas-dev__pandas.95280573.pr_53652']],
    );

    const indented = `\n\n${JSON.stringify({ ...instance(), repo: 'pandas' }, null, 2)}\n`;
    const bad = await loadTasks(tempFile('one.json', indented));
    assert.deepEqual(
      bad.errors.map((error) => [error.line, error.field]),
      [[3, 'repo']],
      'a bad field is named at the line the object starts on',
    );
    const lines = await loadTasks(
      tempFile('two.jsonl', `${JSON.stringify(instance())}\n${JSON.stringify(instance())}\n`),
    );
    assert.deepEqual(
      lines.errors.map((error) => [error.line, error.field]),
      [[2, 'instance_id']],
      'JSON Lines stay rows: the second row repeats the first id',
    );
  });
});

describe('SWE-smith', () => {
  const row = (): Record<string, unknown> =>
    JSON.parse(readFileSync(fixture('swe-smith', 'pandas-dev__pandas.95280573.pr_53652.json'), 'utf8')) as Record<
      string,
      unknown
    >;

  test("a real task instance: the row's image, the bug committed at start (or its commit checked out), the fix is the bug reversed", async () => {
    const published: Record<string, unknown> = {
      ...row(),
      image_name: 'jyangballin/swesmith.x86_64.pandas-dev_1776_pandas.95280573',
    };
    const { tasks, errors } = await loadTasks(tempFile('swe-smith.jsonl', `${JSON.stringify(published)}\n`));
    assert.deepEqual(errors, []);
    const [task] = tasks;
    assert.equal(task.dataset, 'swe-smith');
    assert.equal(task.id, 'pandas-dev__pandas.95280573.pr_53652');
    assert.deepEqual(task.repo, {
      name: 'pandas-dev/pandas',
      location: 'https://github.com/swesmith/pandas-dev__pandas.95280573.git',
      commit: 'd1c5199b6a9d7ae9382d26ee2859b837107165e7',
    });
    assert.equal(task.version, '95280573');
    assert.equal(task.instance?.image, 'jyangballin/swesmith.x86_64.pandas-dev_1776_pandas.95280573');
    assert.equal(task.instance?.workdir, '/testbed');
    assert.equal(task.instance?.setupInput, published.patch);
    assert.match(task.instance?.setup ?? '', /git cat-file -e d1c5199b6a9d7ae9382d26ee2859b837107165e7\^\{commit\}/);
    assert.equal(task.instance?.hiddenHistory, 'all', "the bug's parent commit is the fix: the agent sees no history");
    assert.equal(task.goldPatch, reversePatch(published.patch as string));
    assert.ok(task.failToPass.length > 0 && task.passToPass.length > 0);
    assert.equal(
      taskImage(task, { ...settings, instanceImages: { namespace: 'localhost:5000/m' } }).image,
      'localhost:5000/m/swesmith.x86_64.pandas-dev_1776_pandas.95280573',
    );
  });

  test('a row whose repo is not a SWE-smith mirror is named by line and field', async () => {
    const { errors } = await loadTasks(tempFile('bad.jsonl', `${JSON.stringify({ ...row(), repo: 'pandas' })}\n`));
    assert.deepEqual(
      errors.map((error) => [error.line, error.field]),
      [[1, 'repo']],
    );
  });

  test('the reversed patch undoes the patch, as git apply --reverse does, for edits, new, deleted, renamed and chmod-ed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-reverse-'));
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n\n\n-- not a header\n++ nor this\n');
    writeFileSync(join(dir, 'gone.txt'), 'bye\n');
    writeFileSync(join(dir, 'old_name.py'), 'x = 1\ny = 2\nz = 3\nw = 4\n');
    writeFileSync(join(dir, 'run.sh'), 'echo hi\n');
    writeFileSync(join(dir, 'tail.txt'), 'no newline at end');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'clean');
    writeFileSync(
      join(dir, 'calc.py'),
      'def add(a, b):\n    return a - b\n\n\n--- now a body line\n+++ and so is this\n',
    );
    writeFileSync(join(dir, 'new.py'), 'print("new")\n');
    git(dir, 'rm', '-q', 'gone.txt');
    git(dir, 'mv', 'old_name.py', 'new_name.py');
    writeFileSync(join(dir, 'new_name.py'), 'x = 1\ny = 2\nz = 3\nw = 5\n');
    execFileSync('chmod', ['+x', join(dir, 'run.sh')]);
    writeFileSync(join(dir, 'tail.txt'), 'still no newline, changed');
    git(dir, 'add', '-A');
    const bug = git(dir, 'diff', '--cached', '-M', 'HEAD');
    git(dir, 'commit', '-q', '-m', 'bug');
    const fix = reversePatch(bug);
    assert.ok(fix);
    const patchFile = join(dir, '..', `${Date.now()}-fix.patch`);
    writeFileSync(patchFile, fix);
    git(dir, 'apply', '--index', patchFile);
    assert.equal(git(dir, 'diff', '--cached', 'HEAD~1', '--stat'), '', 'the tree is back at the clean commit');
    assert.equal(reversePatch('diff --git a/x.bin b/x.bin\nGIT binary patch\nliteral 3\n'), undefined);
  });
});

describe('R2E-Gym', () => {
  const pytestRun = (statuses: Record<string, string>) =>
    `============================= test session starts ==============================\ncollected ${Object.keys(statuses).length} items\n\nr2e_tests/test_1.py ...\n\n=========================== short test summary info ============================\n${Object.entries(
      statuses,
    )
      .map(([id, status]) => `${status} ${id}`)
      .join('\n')}\n============================== 3 passed in 0.10s ===============================\n`;

  const r2eRow = () => ({
    repo_name: 'orange3',
    docker_image: 'namanjain12/orange3_final:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
    commit_hash: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
    parsed_commit_content: '{"file_diffs": []}',
    execution_result_content: JSON.stringify({
      repo_name: 'orange3',
      new_commit_hash: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
      test_file_codes: [],
      test_file_names: ['test_1.py'],
      setup_res_code: 0,
      setup_res_stdout: '',
      setup_res_stderr: '',
      old_commit_res_code: 1,
      old_commit_res_stdout: pytestRun({
        'r2e_tests/test_1.py::TestTable::test_from_list': 'PASSED',
        'r2e_tests/test_1.py::TestTable::test_concat_keeps_ids': 'FAILED',
      }),
      new_commit_res_code: 0,
      new_commit_res_stdout: pytestRun({
        'r2e_tests/test_1.py::TestTable::test_from_list': 'PASSED',
        'r2e_tests/test_1.py::TestTable::test_concat_keeps_ids': 'PASSED',
        'r2e_tests/test_1.py::TestTable::test_new_behaviour': 'PASSED',
      }),
    }),
    modified_files: ['Orange/data/table.py'],
    relevant_files: ['Orange/data/table.py'],
    num_non_test_files: 1,
    num_non_test_func_methods: 1,
    num_non_test_lines: 4,
    prompt: 'irrelevant',
    problem_statement: 'Some preamble\n[ISSUE]\nconcat loses ids\n[/ISSUE]\ntrailer',
    expected_output_json: '{"TestTable.test_from_list": "PASSED"}',
  });

  test('a row runs in its docker_image at /testbed with the hidden tests moved out, graded by its recorded runs', async () => {
    const { tasks, errors } = await loadTasks(tempFile('r2e.jsonl', `${JSON.stringify(r2eRow())}\n`));
    assert.deepEqual(errors, []);
    const [task] = tasks;
    assert.equal(task.dataset, 'r2e-gym');
    assert.equal(task.id, 'orange3-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567');
    assert.equal(task.problemStatement, 'concat loses ids');
    assert.equal(task.instance?.image, 'namanjain12/orange3_final:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567');
    assert.equal(task.instance?.workdir, '/testbed');
    assert.match(task.instance?.setup ?? '', /mv \/r2e_tests \/root\/r2e_tests/);
    assert.equal(task.environment?.testCommand, 'bash /root/run_tests.sh');
    assert.deepEqual(task.failToPass, [
      'r2e_tests/test_1.py::TestTable::test_concat_keeps_ids',
      'r2e_tests/test_1.py::TestTable::test_new_behaviour',
    ]);
    assert.deepEqual(task.passToPass, ['r2e_tests/test_1.py::TestTable::test_from_list']);
  });

  test("the gold patch is the row's parsed fixing commit written back as R2E-Gym writes it (non-test Python files)", async () => {
    const oracle = JSON.parse(readFileSync(fixture('r2e-gym', 'gold-patch-oracle.json'), 'utf8')) as {
      parsed_commit_content: string;
      gold_patch: string;
    };
    const row = { ...r2eRow(), parsed_commit_content: oracle.parsed_commit_content };
    const { tasks, errors } = await loadTasks(tempFile('r2e.jsonl', `${JSON.stringify(row)}\n`));
    assert.deepEqual(errors, []);
    assert.equal(tasks[0].goldPatch, oracle.gold_patch);
    assert.match(tasks[0].goldPatch ?? '', /^diff --git a\/pkg\/table\.py/);
  });

  test('a parsed commit without its file diffs is named by line and field', async () => {
    const row = { ...r2eRow(), parsed_commit_content: '{"old_commit_hash": "abc"}' };
    const { errors } = await loadTasks(tempFile('r2e.jsonl', `${JSON.stringify(row)}\n`));
    assert.deepEqual(
      errors.map((error) => [error.line, error.field]),
      [[1, 'parsed_commit_content']],
    );
  });

  test('a row without its recorded test runs is named by line and field', async () => {
    const row: Record<string, unknown> = r2eRow();
    delete row.execution_result_content;
    const { errors } = await loadTasks(tempFile('r2e.jsonl', `${JSON.stringify(row)}\n`));
    assert.deepEqual(
      errors.map((error) => [error.line, error.field]),
      [[1, 'execution_result_content']],
    );
  });
});

describe('Multi-SWE-bench', () => {
  const pr = () => ({
    org: 'ponylang',
    repo: 'ponyc',
    number: 4583,
    state: 'closed',
    title: 'Fix crash in the type checker',
    body: 'Fixes #4582',
    base: { label: 'ponylang:main', ref: 'main', sha: '7ad0ba6e1d9e4c5d3f2b1a0e9d8c7b6a5f4e3d2c' },
    resolved_issues: [{ number: 4582, title: 'Compiler crash on match', body: 'ponyc segfaults when …' }],
    fix_patch: 'diff --git a/src/x.c b/src/x.c\n',
    test_patch: 'diff --git a/test/x.c b/test/x.c\n',
    fixed_tests: { 'test/libponyc.MatchTest': { run: 'PASS', test: 'FAIL', fix: 'PASS' } },
    p2p_tests: { 'test/libponyc.LexerTest': { run: 'PASS', test: 'PASS', fix: 'PASS' } },
    f2p_tests: { 'test/libponyc.MatchTest': { run: 'PASS', test: 'FAIL', fix: 'PASS' } },
    s2p_tests: {},
    n2p_tests: { 'test/libponyc.NewTest': { run: 'NONE', test: 'NONE', fix: 'PASS' } },
    instance_id: 'ponylang__ponyc-4583',
  });

  test('a pull request runs in mswebench/<org>_m_<repo>:pr-<number> at /home/<repo>; its issues are the problem', async () => {
    const { tasks, errors } = await loadTasks(tempFile('multi.jsonl', `${JSON.stringify(pr())}\n`));
    assert.deepEqual(errors, []);
    const [task] = tasks;
    assert.equal(task.dataset, 'multi-swe-bench');
    assert.equal(task.id, 'ponylang__ponyc-4583');
    assert.deepEqual(task.instance, {
      image: 'mswebench/ponylang_m_ponyc:pr-4583',
      workdir: '/home/ponyc',
      testCommand: 'bash /home/run.sh',
    });
    assert.equal(task.repo.commit, '7ad0ba6e1d9e4c5d3f2b1a0e9d8c7b6a5f4e3d2c');
    assert.equal(task.problemStatement, 'Compiler crash on match\nponyc segfaults when …');
    assert.deepEqual(task.failToPass, ['test/libponyc.MatchTest', 'test/libponyc.NewTest']);
    assert.deepEqual(task.passToPass, ['test/libponyc.LexerTest']);
  });

  test("rows run where and as Multi-SWE-bench's harness runs them: image, folder, env and test command", async () => {
    // One row per repository the table lists (per number range where it has ranges) and rows naming pull-request
    // ranges and release tags the harness registers; its outputs for the same rows (made by its Instance registry at
    // the commit named, outside this repository) say which image it evaluates in, which command runs the tests, the
    // folder its scripts work in and whether they activate conda.
    const harness = JSON.parse(readFileSync(fixture('multi-swe-bench', 'harness-images.json'), 'utf8')) as {
      commit: string;
      results: {
        row: string;
        image: string;
        test_command: string;
        script_folders: string[];
        activates_conda_testbed: boolean;
      }[];
    };
    assert.equal(harness.commit, harnessTable.commit);
    const { tasks, errors } = await loadTasks(fixture('multi-swe-bench', 'image-rows.jsonl'));
    assert.deepEqual(errors, []);
    // The ranges' and tags' rows need a spec naming their parser (we have none of those); it names no test command.
    const specs = Object.fromEntries(
      tasks.filter((task) => !task.logParser).map((task) => [task.repo.name, { test_framework: 'pytest' }]),
    );
    const ours = tasks.map((task) => ({
      row: `${task.repo.name}#${task.id.split('-').at(-1)}`,
      image: task.instance?.image,
      testCommand: taskImage(task, { ...settings, specs }).environment.testCommand,
      workdir: task.instance?.workdir,
      activatesConda: task.instance?.activate === CONDA_TESTBED_ACTIVATION,
    }));
    const theirs = harness.results.map((result) => ({
      row: result.row,
      image: result.image,
      testCommand: result.test_command,
      workdir: result.script_folders.find((folder) => folder.startsWith('/')),
      activatesConda: result.activates_conda_testbed,
    }));
    assert.deepEqual(ours, theirs);
    assert.equal(
      ours.filter((task) => task.workdir === '/testbed').length,
      harnessTable.repositoriesOnSweBenchImages.length,
    );
  });

  test("a row of a repository on SWE-bench's images whose base.ref is a branch, not its test command, is refused", async () => {
    const row = JSON.parse(readFileSync(fixture('multi-swe-bench', 'image-rows.jsonl'), 'utf8').split('\n')[0]);
    const django = { ...row, org: 'django', repo: 'django', base: { ...row.base, ref: 'main' } };
    const file = tempFile('django.jsonl', `${JSON.stringify(django)}\n`);
    const { tasks, errors } = await loadTasks(file);
    assert.deepEqual(tasks, []);
    assert.equal(
      formatLoadError(errors[0]),
      `${file}:line 1 field 'base': its ref must be the test command rows of django/django carry, not "main"`,
    );
  });

  test('the same rows load from Parquet with the nested base and int64 number', async () => {
    const row = pr();
    const buffer = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'org', data: [row.org] },
          { name: 'repo', data: [row.repo] },
          { name: 'number', data: [BigInt(row.number)] },
          { name: 'title', data: [row.title] },
          { name: 'body', data: [row.body] },
          { name: 'base', data: [row.base] },
          { name: 'fix_patch', data: [row.fix_patch] },
          { name: 'test_patch', data: [row.test_patch] },
          { name: 'f2p_tests', data: [JSON.stringify(row.f2p_tests)] },
          { name: 'p2p_tests', data: [JSON.stringify(row.p2p_tests)] },
          { name: 'n2p_tests', data: [JSON.stringify(row.n2p_tests)] },
          { name: 'instance_id', data: [row.instance_id] },
        ],
      }),
    );
    const { tasks, errors } = await loadTasks(tempFile('multi.parquet', buffer));
    assert.deepEqual(errors, []);
    assert.equal(tasks[0].instance?.image, 'mswebench/ponylang_m_ponyc:pr-4583');
    assert.equal(tasks[0].problemStatement, 'Fix crash in the type checker\nFixes #4582');
    assert.deepEqual(tasks[0].failToPass, ['test/libponyc.MatchTest', 'test/libponyc.NewTest']);
  });

  test("real rows (jq): each pull request's image and run script, its tests, and Multi-SWE-bench's reading of jq's logs", async () => {
    const file = fixture('multi-swe-bench', 'jqlang__jq.jsonl');
    const rows = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
    const { tasks, errors } = await loadTasks(file);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => [task.id, task.instance?.image, task.instance?.workdir, task.repo.commit]),
      [
        ['jqlang__jq-3165', 'mswebench/jqlang_m_jq:pr-3165', '/home/jq', '37f4cd2648faa2a4c78c3d4caf5d61cb491c7d22'],
        ['jqlang__jq-2840', 'mswebench/jqlang_m_jq:pr-2840', '/home/jq', '4cf1408e0bbac8fc714b051fe420921905128efd'],
      ],
    );
    tasks.forEach((task, index) => {
      const row = rows[index];
      assert.deepEqual(
        task.failToPass,
        ['f2p_tests', 's2p_tests', 'n2p_tests'].flatMap((field) => Object.keys(row[field])),
      );
      assert.deepEqual(task.passToPass, Object.keys(row.p2p_tests));
      assert.equal(task.goldPatch, row.fix_patch as unknown as string);
      assert.ok(task.problemStatement.startsWith((row.resolved_issues as unknown as { title: string }[])[0].title));
    });
    // The image's own script runs the tests, read as Multi-SWE-bench's harness reads jq's.
    const { environment, image } = taskImage(tasks[0], settings);
    assert.deepEqual(
      [environment.testCommand, environment.logParser, image],
      ['bash /home/run.sh', 'mswebench_jq', 'mswebench/jqlang_m_jq:pr-3165'],
    );
  });

  test("real rows (zstd): each pull request read as the harness reads its number's range, its run graded as the dataset's fixed run", async () => {
    const { tasks, errors } = await loadTasks(fixture('multi-swe-bench', 'facebook__zstd.jsonl'));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      tasks.map((task) => [task.id, task.instance?.image, taskImage(task, settings).environment.logParser]),
      [
        ['facebook__zstd-1837', 'mswebench/facebook_m_zstd:pr-1837', 'mswebench_zstd_decoder_built'],
        ['facebook__zstd-1243', 'mswebench/facebook_m_zstd:pr-1243', 'mswebench_zstd_pool_tests'],
        ['facebook__zstd-1107', 'mswebench/facebook_m_zstd:pr-1107', 'mswebench_jq'],
      ],
    );
    // The names the readings give are the dataset's: its fixed runs passed `all tests`, or testInvalid and testOrder.
    assert.deepEqual(
      tasks.map((task) => task.failToPass),
      [['all tests'], ['all tests'], ['testInvalid', 'testOrder']],
    );
    const logs = [
      readFileSync(fixture('multi-swe-bench', 'logs', 'zstd-decoder.log'), 'utf8'),
      readFileSync(fixture('multi-swe-bench', 'logs', 'zstd-pool-tests.log'), 'utf8'),
      './poolTests\nPASS: testOrder\nPASS: testInvalid\n',
    ];
    const grade = async (task: Task, log: string) =>
      (await gradeLog(task, log, { harnessVersion: CURRENT_HARNESS_VERSION, raw: true, exitCode: 0 })).resolution;
    assert.deepEqual(await Promise.all(tasks.map((task, index) => grade(task, logs[index]))), [
      'RESOLVED_FULL',
      'RESOLVED_FULL',
      'RESOLVED_FULL',
    ]);
    const decoderFailed = readFileSync(fixture('multi-swe-bench', 'logs', 'zstd-decoder-failed.log'), 'utf8');
    assert.equal(await grade(tasks[0], decoderFailed), 'RESOLVED_NO');
    assert.equal(await grade(tasks[2], './poolTests\nPASS: testOrder\nFAIL: testInvalid\n'), 'RESOLVED_PARTIAL');
  });

  test("a Multi-SWE-bench row whose parser Rollout Studio does not have is read by the harness's, or by a spec's", () => {
    const row = JSON.parse(readFileSync(fixture('multi-swe-bench', 'jqlang__jq.jsonl'), 'utf8').split('\n')[0]);
    // The harness reads ripgrep's pull requests 772 down to 406 (rows naming that interval) with a parser we do not have.
    const interval = { org: 'BurntSushi', repo: 'ripgrep', number_interval: 'ripgrep_772_to_406' };
    const task = multiSweBenchRowToTask({ ...row, ...interval, instance_id: undefined });
    assert.deepEqual(task.harnessPullRequest, {
      org: 'BurntSushi',
      repo: 'ripgrep',
      number: row.number,
      number_interval: 'ripgrep_772_to_406',
      tag: '',
    });
    assert.equal(taskImage(task, settings).environment.logParser, 'mswebench_harness');
    const specs = { 'BurntSushi/ripgrep': { test_framework: 'maven' } };
    assert.equal(taskImage(task, { ...settings, specs }).environment.logParser, 'maven');
  });

  test("a spec under the harness's name for a pull-request range or release applies over its repository's", () => {
    const row = JSON.parse(readFileSync(fixture('multi-swe-bench', 'jqlang__jq.jsonl'), 'utf8').split('\n')[0]);
    const rangeRow = { ...row, number_interval: 'jq_3200_to_3100', number: 3101, instance_id: undefined };
    const releaseRow = { ...row, tag: 'v1.7.1', instance_id: undefined };
    const [range, release, perRepository] = [rangeRow, releaseRow, row].map(multiSweBenchRowToTask);
    assert.deepEqual([range, release, perRepository].map(rangeOrReleaseName), [
      'jqlang/jq_3200_to_3100',
      'jqlang/jq_v1_7_1',
      undefined,
    ]);
    const specs = {
      'jqlang/jq': { test_framework: 'gotest', test_command: 'make check' },
      'jqlang/jq_3200_to_3100': { test_framework: 'maven' },
    };
    const parserAndCommand = (task: Task) => {
      const { logParser, testCommand } = taskImage(task, { ...settings, specs }).environment;
      return [logParser, testCommand];
    };
    assert.deepEqual(parserAndCommand(range), ['maven', 'make check']);
    assert.deepEqual(parserAndCommand(release), ['gotest', 'make check']);
    // A row of jq itself is read by the parser the harness registers for jq, over any spec.
    assert.deepEqual(parserAndCommand(perRepository), ['mswebench_jq', 'make check']);
  });
});
