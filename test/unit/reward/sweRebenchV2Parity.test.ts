/**
 * SWE-rebench-V2 rows graded as its harness grades them, against what its own grader (scripts/eval.py at the commit
 * test/fixtures/swe-rebench-v2/SOURCE.md names) made of the same rows and logs: its parsers' readings are replayed by
 * a stand-in for the user's checkout, and everything after (names without timings, which tests pass, the verdict)
 * is ours, compared with the harness's outcome and report item.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradeLog, type LogGrade } from '../../../src/core/reward/gradeTask';
import { requireV2Parser, withoutTimings } from '../../../src/core/reward/sweRebenchV2Harness';
import { LogParseError } from '../../../src/core/reward/testStatus';
import { SweBenchSource } from '../../../src/core/task/sweBenchSource';
import type { Task } from '../../../src/core/task/task';
import { withEnvironmentVariable } from '../../support/harnessPython';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'swe-rebench-v2');
const STAND_IN = join(FIXTURES, 'harness-stand-in');

interface Case {
  spec: Record<string, unknown> & { instance_id: string; FAIL_TO_PASS: string[]; PASS_TO_PASS: string[] };
  log: string;
}
interface OracleCase {
  instance_id: string;
  normalized: [string, string][];
  outcome: { error?: string; result?: { passed_actual: string[]; failed_actual: string[] } };
  report_item: { error?: string; from_fail_to_pass: string[]; failed_from_pass_to_pass: string[] };
}

const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as Case[];
const oracle = JSON.parse(readFileSync(join(FIXTURES, 'oracle.json'), 'utf8')) as {
  commit: string;
  cases: OracleCase[];
};

/** Runs `action` with the stand-in as the user's checkout of the harness. */
function withStandIn<T>(action: () => Promise<T>): Promise<T> {
  return withEnvironmentVariable('ROLLOUT_SWE_REBENCH_V2', STAND_IN, action);
}

async function loadedTasks(): Promise<Task[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'rollout-v2-rows-')), 'rows.jsonl');
  writeFileSync(file, cases.map(({ spec }) => JSON.stringify(spec)).join('\n'));
  const loaded = await new SweBenchSource().load(file);
  assert.deepEqual(loaded.errors, []);
  return loaded.tasks;
}

/** What the harness's report item says of a case, in the terms of our report: resolved, and which tests did what. */
function harnessVerdict(item: OracleCase['report_item'], expected: OracleCase['normalized'], spec: Case['spec']) {
  const normalizedFailToPass = new Set(expected.filter(([name]) => spec.FAIL_TO_PASS.includes(name)).map(([, n]) => n));
  const resolved =
    !item.error &&
    item.failed_from_pass_to_pass.length === 0 &&
    [...normalizedFailToPass].every((name) => item.from_fail_to_pass.includes(name));
  return {
    resolved,
    fromFailToPass: [...item.from_fail_to_pass].sort(),
    failedPassToPass: [...item.failed_from_pass_to_pass].sort(),
  };
}

function ourVerdict(grade: LogGrade) {
  const report = grade.report[grade.instance_id];
  const tests = report.tests_status!;
  const names = (ids: string[]) => [...new Set(ids.map(withoutTimings))].sort();
  return {
    resolved: report.resolved,
    fromFailToPass: names(tests.FAIL_TO_PASS.success),
    failedPassToPass: names(tests.PASS_TO_PASS.failure),
  };
}

describe(`SWE-rebench-V2 rows, graded as its harness grades them (at ${oracle.commit.slice(0, 8)})`, () => {
  test('every test name loses its timing suffix as the harness strips it', () => {
    for (const entry of oracle.cases)
      for (const [name, normalized] of entry.normalized)
        assert.equal(withoutTimings(name), normalized, `${entry.instance_id}: ${JSON.stringify(name)}`);
  });

  test("each log's passed and failed tests and verdict are the harness's", () =>
    withStandIn(async () => {
      const tasks = await loadedTasks();
      const mismatches: string[] = [];
      for (const [index, { spec, log }] of cases.entries()) {
        const entry = oracle.cases[index];
        assert.equal(entry.instance_id, spec.instance_id);
        const task = tasks.find((candidate) => candidate.id === spec.instance_id)!;
        const grade = await gradeLog(task, log, { raw: true }).catch((error: unknown) => error);
        if (entry.outcome.error !== undefined) {
          // The harness's parser raised: it passes no test, and the run is not resolved.
          assert.ok(grade instanceof LogParseError, `${spec.instance_id}: ${String(grade)}`);
          assert.ok(grade.message.includes(entry.outcome.error), grade.message);
          continue;
        }
        assert.ok(!(grade instanceof Error), `${spec.instance_id}: ${String(grade)}`);
        const graded = grade as LogGrade;
        const statuses = Object.entries(graded.status_map);
        const withStatus = (status: string) =>
          statuses
            .filter(([, s]) => s === status)
            .map(([name]) => name)
            .sort();
        const ours = { passed: withStatus('PASSED'), failed: withStatus('FAILED'), ...ourVerdict(graded) };
        const theirs = {
          passed: entry.outcome.result!.passed_actual,
          failed: entry.outcome.result!.failed_actual,
          ...harnessVerdict(entry.report_item, entry.normalized, spec),
        };
        if (JSON.stringify(ours) !== JSON.stringify(theirs))
          mismatches.push(`${spec.instance_id}: ${JSON.stringify(ours)} ≠ harness ${JSON.stringify(theirs)}`);
      }
      assert.deepEqual(mismatches, []);
    }));
});

describe('SWE-rebench-V2 rows as released', () => {
  const [released] = JSON.parse(readFileSync(join(FIXTURES, 'sample.json'), 'utf8')) as Record<string, unknown>[];
  const config = released.install_config as Record<string, unknown> & { test_cmd: string[] };

  async function load(rows: Record<string, unknown>[]) {
    const file = join(mkdtempSync(join(tmpdir(), 'rollout-v2-rows-')), 'rows.jsonl');
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
    return new SweBenchSource().load(file);
  }

  test("the harness's sample row runs in its image at /<repository>, read by the parser it names, its commands listed or one", async () => {
    const oneCommand = {
      ...released,
      instance_id: `${String(released.instance_id)}-one-command`,
      install_config: { ...config, test_cmd: config.test_cmd.join(' && ') },
    };
    const { tasks, errors } = await load([released, oneCommand]);
    assert.deepEqual(errors, []);
    for (const task of tasks) {
      assert.deepEqual(
        [
          task.dataset,
          task.harness,
          task.instance?.image,
          task.instance?.workdir,
          task.sweRebenchV2Parser,
          task.environment?.logParser,
        ],
        [
          'swe-rebench-v2',
          'swe-rebench-v2',
          'docker.io/swerebenchv2/unidata-netcdf-c:1925-ad6bff3',
          '/netcdf-c',
          'parse_log_jq',
          'swe_rebench_v2_harness',
        ],
      );
      const script = /echo (\S+) \| base64 -d > \/tmp\/rollout-swe-rebench-v2\/eval\.sh/.exec(
        task.environment!.testCommand,
      );
      assert.ok(script, task.environment!.testCommand);
      const lines = Buffer.from(script[1], 'base64').toString('utf8').split('\n');
      assert.deepEqual(lines[0], 'set -e');
      assert.match(lines[1], /^git apply -v --3way --recount --ignore-space-change --whitespace=nowarn /);
      assert.deepEqual(lines.slice(2).join(' && '), 'make check');
    }
  });

  test('a row without its image, its parser, a command or a patch is refused, naming the field', async () => {
    const broken: [field: string, row: Record<string, unknown>][] = [
      ['image_name', { ...released, image_name: undefined, install_config: config }],
      ['install_config.log_parser', { ...released, install_config: { ...config, log_parser: '' } }],
      ['install_config.test_cmd', { ...released, install_config: { ...config, test_cmd: ['', '  '] } }],
      ['test_patch', { ...released, test_patch: '' }],
    ];
    const { tasks, errors } = await load(broken.map(([, row]) => row));
    assert.equal(tasks.length, 0);
    assert.deepEqual(
      errors.map((error) => [error.line, error.field]),
      broken.map(([field], index) => [index + 1, field]),
    );
  });

  test('a run that names no checkout of the harness is refused before it starts, saying what to do', async () => {
    await withEnvironmentVariable('ROLLOUT_SWE_REBENCH_V2', undefined, async () => {
      const [task] = (await load([released])).tasks;
      await assert.rejects(
        requireV2Parser(task),
        /clone https:\/\/github\.com\/SWE-rebench\/SWE-rebench-V2 and set ROLLOUT_SWE_REBENCH_V2/,
      );
    });
    await withStandIn(async () => {
      const [task] = (await load([{ ...released, install_config: { ...config, log_parser: 'parse_log_nothing' } }]))
        .tasks;
      await assert.rejects(requireV2Parser(task), /has no parser parse_log_nothing/);
    });
  });
});
