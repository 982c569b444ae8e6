import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tasksCommand } from '../../../src/cli/commands/tasks';
import { runCaptured } from '../../support/cliCapture';
import { pythonWithHarness, pythonWithoutHarness, withHarnessPython } from '../../support/harnessPython';
import { fixture } from './fixturePaths';

describe('rollout tasks', () => {
  test('lists every row of a good file and exits 0', async () => {
    const { code, out } = await runCaptured(tasksCommand, [
      fixture('swe-bench', 'swe-bench-lite-sample.json'),
      '--docker-host',
      'unix:///nonexistent/docker.sock',
    ]);
    assert.equal(code, 0);
    assert.match(out, /^ID\s+DATASET\s+REPOSITORY\s+LANGUAGE\s+TESTS\s+LOG PARSER\s+IMAGE$/m);
    assert.match(out, /^django__django-16255\s+swe-bench\s+django\/django@444b6da7\s+python\s+yes\s+django\s+\?$/m);
    assert.match(out, /^5 task\(s\) loaded$/m);
    assert.match(out, /^swe-bench: 5 task\(s\), log parser for 5\/5, images present \?\/5$/m);
    assert.doesNotMatch(out, /no log parser here/);
    assert.match(out, /^images not checked: Docker engine not reachable at unix:\/\/\/nonexistent\/docker.sock/m);
  });

  test('tasks with tests but no FAIL_TO_PASS test are named: a run refuses them', async () => {
    const rows = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const file = join(mkdtempSync(join(tmpdir(), 'rollout-cli-')), 'rows.json');
    writeFileSync(file, JSON.stringify([rows[0], { ...rows[1], FAIL_TO_PASS: [] }]));
    const { code, out } = await runCaptured(tasksCommand, [file, '--docker-host', 'unix:///nonexistent/docker.sock']);
    assert.equal(code, 0);
    assert.match(
      out,
      new RegExp(
        `^1 task\\(s\\) \\(${rows[1].instance_id as string}\\): no FAIL_TO_PASS test, so every patch .* a run refuses them$`,
        'm',
      ),
    );
  });

  test("a Multi-SWE-bench file lists each pull request's image and the parser that reads its logs", async () => {
    const { code, out } = await runCaptured(tasksCommand, [
      fixture('multi-swe-bench', 'jqlang__jq.jsonl'),
      '--json',
      '--docker-host',
      'unix:///nonexistent/docker.sock',
    ]);
    assert.equal(code, 0);
    const { tasks } = JSON.parse(out) as {
      tasks: { id: string; dataset: string; image: string; log_parser: string | null }[];
    };
    assert.deepEqual(
      tasks.map(({ id, dataset, image, log_parser }) => [id, dataset, image, log_parser]),
      [
        ['jqlang__jq-3165', 'multi-swe-bench', 'mswebench/jqlang_m_jq:pr-3165', 'mswebench_jq'],
        ['jqlang__jq-2840', 'multi-swe-bench', 'mswebench/jqlang_m_jq:pr-2840', 'mswebench_jq'],
      ],
    );
  });

  test("a pull-request range's row is read by the harness's own parser: whether it is usable is said, and --specs names another", async () => {
    const [row] = readFileSync(fixture('multi-swe-bench', 'jqlang__jq.jsonl'), 'utf8').trim().split('\n');
    const ranged = {
      ...(JSON.parse(row) as Record<string, unknown>),
      number_interval: 'jq_3200_to_3100',
      number: 3101,
      instance_id: 'jqlang__jq-3101',
    };
    const dir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, `${row}\n${JSON.stringify(ranged)}\n`);
    const socket = ['--docker-host', 'unix:///nonexistent/docker.sock'];
    const list = (args: string[], python: string) =>
      withHarnessPython(python, () => runCaptured(tasksCommand, [...args, ...socket]));

    const without = await list([file], pythonWithoutHarness());
    assert.equal(without.code, 0, 'both rows loaded');
    assert.match(without.out, /^jqlang__jq-3165\s.*\syes\s+mswebench_jq\s+\?$/m);
    assert.match(without.out, /^jqlang__jq-3101\s.*\syes\s+mswebench_harness\s+\?$/m);
    assert.match(without.out, /^multi-swe-bench: 2 task\(s\), log parser for 2\/2, images present \?\/2$/m);
    assert.match(
      without.out,
      /^1 task\(s\) are read by Multi-SWE-bench's own parsers, in its harness in \S+python-without-harness, which is not usable \(.*cannot import Multi-SWE-bench's harness.*\): a run refuses them; install it \(pip install multi-swe-bench; .*\), or pass --specs FILE/m,
    );

    const specs = join(dir, 'specs.json');
    writeFileSync(specs, JSON.stringify({ 'jqlang/jq': { test_framework: 'mswebench_jq' } }));
    const given = await list([file, '--specs', specs], pythonWithoutHarness());
    assert.match(given.out, /^jqlang__jq-3101\s.*\syes\s+mswebench_jq\s+\?$/m);
    assert.doesNotMatch(given.out, /Multi-SWE-bench's own parsers/);

    const many = join(dir, 'many.jsonl');
    const orgs = Array.from({ length: 12 }, (_, index) => `org${String(index).padStart(2, '0')}`);
    writeFileSync(
      many,
      orgs.map((org) => JSON.stringify({ ...ranged, org, instance_id: `${org}__jq-3101` })).join('\n'),
    );
    assert.match(
      (await list([many], pythonWithHarness())).out,
      /^12 task\(s\) are read by Multi-SWE-bench's own parsers, in its harness in \S+python-with-harness: it registers no parser for org00\/jq_3200_to_3100, org01\/jq_3200_to_3100, .*, org09\/jq_3200_to_3100 and 2 more: a run refuses those; pass --specs FILE/m,
    );

    // The rows of ranges and releases whose readings by the real harness the stand-in gives back, with a test each.
    const recorded = join(dir, 'recorded.jsonl');
    const imageRows = readFileSync(fixture('multi-swe-bench', 'image-rows.jsonl'), 'utf8').trim().split('\n');
    const tested = imageRows
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.number_interval || entry.tag)
      .map((entry) => JSON.stringify({ ...entry, f2p_tests: { test: { run: 'NONE', test: 'FAIL', fix: 'PASS' } } }));
    writeFileSync(recorded, tested.join('\n'));
    assert.match(
      (await list([recorded], pythonWithHarness())).out,
      /^38 task\(s\) are read by Multi-SWE-bench's own parsers, in its harness in \S+: it has a parser for each of their 38 name\(s\)$/m,
    );

    const missing = await runCaptured(tasksCommand, [file, '--specs', join(dir, 'none.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--specs .*none\.json: not a readable JSON spec file/);
  });

  test('rows no parser here reads and no harness reads are named, with the spec that gives one', async () => {
    const [sample] = JSON.parse(readFileSync(fixture('swe-bench', 'swe-bench-lite-sample.json'), 'utf8')) as object[];
    // A Ruby repository the SWE-bench harness does not know: no parser of its own, none by language.
    const rows = Array.from({ length: 12 }, (_, index) => ({
      ...sample,
      repo: `org${String(index).padStart(2, '0')}/gem`,
      instance_id: `gem-${index}`,
      language: 'ruby',
    }));
    const file = join(mkdtempSync(join(tmpdir(), 'rollout-cli-')), 'rows.json');
    writeFileSync(file, JSON.stringify(rows));
    const { out } = await runCaptured(tasksCommand, [file, '--docker-host', 'unix:///nonexistent/docker.sock']);
    assert.match(out, /^gem-0\s.*\sruby\s+yes\s+none\s+\?$/m);
    assert.match(
      out,
      /^12 task\(s\) have tests but no log parser here \(org00\/gem, org01\/gem, .*, org09\/gem and 2 more\): a run refuses them; pass --specs/m,
    );
  });

  test('--json lists tasks and errors; a bad row makes the exit code 1 while good rows are listed', async () => {
    const rows = readFileSync(fixture('cab', 'cab_verified_lenient.jsonl'), 'utf8').trim().split('\n');
    const bad = { ...(JSON.parse(rows[1]) as Record<string, unknown>), url: 'not a url' };
    const file = join(mkdtempSync(join(tmpdir(), 'rollout-cli-')), 'cab.jsonl');
    writeFileSync(file, [rows[0], JSON.stringify(bad), rows[2]].join('\n'));
    const { code, out } = await runCaptured(tasksCommand, [file, '--json']);
    assert.equal(code, 1);
    const parsed = JSON.parse(out) as {
      tasks: { id: string; has_tests: boolean }[];
      errors: { line: number; field: string }[];
    };
    assert.deepEqual(
      parsed.tasks.map((task) => task.id),
      ['cab_lenient_1', 'cab_lenient_3'],
    );
    assert.deepEqual(
      parsed.errors.map((error) => [error.line, error.field]),
      [[2, 'url']],
    );
  });

  test('no argument prints usage and exits 2', async () => {
    const { code, err } = await runCaptured(tasksCommand, []);
    assert.equal(code, 2);
    assert.match(err, /usage: rollout tasks FILE_OR_DIR/);
  });
});
