import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asTestOutput, gradeLog } from '../../../src/core/reward/gradeTask';
import { resolutionStatus, testsReport } from '../../../src/core/reward/grading';
import { HARNESS_RULES, evalTypeFor } from '../../../src/core/reward/harnessRules';
import { gradeTestOutput } from '../../../src/core/reward/instanceReport';
import { harnessRunSummary, rolloutRunSummary } from '../../../src/core/reward/runSummary';
import { readTestOutput } from '../../../src/core/reward/testOutput';
import type { StatusMap } from '../../../src/core/reward/testStatus';
import { loadTask } from '../../../src/core/task/loadTasks';

const statuses: StatusMap = new Map([
  ['t::fixed', 'PASSED'],
  ['t::xfail', 'XFAIL'],
  ['t::still_broken', 'FAILED'],
  ['t::kept', 'PASSED'],
  ['t::broken_now', 'ERROR'],
  ['t::skipped', 'SKIPPED'],
  ['t::odd', 'PASSED[x]'],
  ['t::param[a b]', 'PASSED'],
  ['t::param[a c]', 'XFAIL'],
  ['t::mixed[1 x]', 'PASSED'],
  ['t::mixed[1 y]', 'FAILED'],
]);

const [v4, v5] = [HARNESS_RULES[4], HARNESS_RULES[5]];

// Hand-written cases, one per rule; what the harness itself returns is checked in gradingParity.test.ts.
describe('grading rules of harness releases 4.x and 5.x, one hand-written case per rule', () => {
  test('5.x: a skipped FAIL_TO_PASS test fails, a skipped PASS_TO_PASS test is kept; 4.x counts both nowhere', () => {
    const expected = { failToPass: ['t::fixed', 't::skipped'], passToPass: ['t::kept', 't::skipped'] };
    const current = testsReport(statuses, expected, v5, 'pass_and_fail');
    assert.deepEqual(current.FAIL_TO_PASS, { success: ['t::fixed'], failure: ['t::skipped'] });
    assert.deepEqual(current.PASS_TO_PASS, { success: ['t::kept', 't::skipped'], failure: [] });
    const older = testsReport(statuses, expected, v4, 'pass_and_fail');
    assert.deepEqual(older.FAIL_TO_PASS, { success: ['t::fixed'], failure: [] });
    assert.deepEqual(older.PASS_TO_PASS, { success: ['t::kept'], failure: [] });
  });

  test('passed is PASSED or XFAIL, failed is FAILED, ERROR or absent, and any other word counts nowhere', () => {
    const report = testsReport(
      statuses,
      { failToPass: ['t::xfail', 't::still_broken', 't::missing', 't::odd'], passToPass: ['t::broken_now'] },
      v5,
      'pass_and_fail',
    );
    assert.deepEqual(report.FAIL_TO_PASS, { success: ['t::xfail'], failure: ['t::still_broken', 't::missing'] });
    assert.deepEqual(report.PASS_TO_PASS, { success: [], failure: ['t::broken_now'] });
  });

  test('5.x matches an id the dataset cut inside its brackets to the log ids it begins, when they agree', () => {
    const expected = { failToPass: ['t::param[a', 't::mixed[1', 't::fix'], passToPass: [] };
    const current = testsReport(statuses, expected, v5, 'pass_and_fail');
    // PASSED and XFAIL agree; PASSED and FAILED do not; `t::fix` has balanced brackets, so no prefix match.
    assert.deepEqual(current.FAIL_TO_PASS, { success: ['t::param[a'], failure: ['t::mixed[1', 't::fix'] });
    assert.deepEqual(testsReport(statuses, expected, v4, 'pass_and_fail').FAIL_TO_PASS.success, []);
  });

  test('fail_only counts a test as passed unless the log says FAILED under its exact id', () => {
    const report = testsReport(
      statuses,
      { failToPass: ['t::still_broken', 't::broken_now', 't::missing'], passToPass: ['t::skipped'] },
      v5,
      'fail_only',
    );
    assert.deepEqual(report.FAIL_TO_PASS, { success: ['t::broken_now', 't::missing'], failure: ['t::still_broken'] });
    assert.deepEqual(report.PASS_TO_PASS, { success: ['t::skipped'], failure: [] });
    assert.equal(evalTypeFor(v5, 'eslint/eslint'), 'fail_only');
    assert.equal(evalTypeFor(v4, 'eslint/eslint'), 'pass_and_fail');
    assert.equal(evalTypeFor(v5, 'eslint/eslint', 'pass_and_fail'), 'pass_and_fail');
    assert.equal(evalTypeFor(v4, 'markedjs/marked', 'pass_and_fail'), 'fail_only');
  });

  test('resolution: FULL when both groups pass, PARTIAL when some FAIL_TO_PASS pass and no PASS_TO_PASS broke', () => {
    const of = (f2p: [number, number], p2p: [number, number]) =>
      resolutionStatus({
        FAIL_TO_PASS: { success: Array(f2p[0]).fill('s'), failure: Array(f2p[1]).fill('f') },
        PASS_TO_PASS: { success: Array(p2p[0]).fill('s'), failure: Array(p2p[1]).fill('f') },
        FAIL_TO_FAIL: { success: [], failure: [] },
        PASS_TO_FAIL: { success: [], failure: [] },
      });
    assert.equal(of([2, 0], [1, 0]), 'RESOLVED_FULL');
    assert.equal(of([0, 0], [0, 0]), 'RESOLVED_FULL');
    assert.equal(of([1, 1], [1, 0]), 'RESOLVED_PARTIAL');
    assert.equal(of([1, 1], [1, 1]), 'RESOLVED_NO');
    assert.equal(of([0, 2], [1, 0]), 'RESOLVED_NO');
  });
});

describe('reading a test output', () => {
  const context = { instanceId: 'a__b-1', harnessVersion: 5 as const };
  const wrapped = (body: string, exitCode?: number) => asTestOutput(body, exitCode);

  test('a failure marker or missing output markers void the log', () => {
    const voided = readTestOutput(`${wrapped('PASSED t::a')}>>>>> Tests Timed Out\n`, 'pytest', context, v5);
    assert.equal(voided.graded, false);
    assert.equal(readTestOutput('PASSED t::a\n', 'pytest', context, v5).graded, false);
  });

  test('results outside the markers are read when there are none between them', () => {
    const log = `PASSED t::a\n${wrapped('collecting ...')}`;
    assert.deepEqual(readTestOutput(log, 'pytest', context, v5), {
      graded: true,
      statuses: new Map([['t::a', 'PASSED']]),
    });
  });

  test('5.x: no results and no sign that the suite ran is not graded; a summary line is a sign', () => {
    assert.equal(readTestOutput(wrapped('Error: browser did not start'), 'marked', context, v5).graded, false);
    assert.equal(readTestOutput(wrapped('Error: browser did not start'), 'marked', context, v4).graded, true);
    assert.equal(readTestOutput(wrapped('  12 passing (3s)'), 'marked', context, v5).graded, true);
    assert.equal(readTestOutput(wrapped('Executed 0 of 40 SUCCESS'), 'marked', context, v5).graded, false);
  });

  test('5.x: a non-zero exit status with no failing test in the log is not graded', () => {
    const spoofed = wrapped('PASSED t::a', 1);
    assert.equal(readTestOutput(spoofed, 'pytest', context, v5).graded, false);
    assert.equal(readTestOutput(spoofed, 'pytest', context, v4).graded, true);
    assert.equal(readTestOutput(wrapped('PASSED t::a\nFAILED t::b', 1), 'pytest', context, v5).graded, true);
    assert.equal(readTestOutput(wrapped('PASSED t::a', 0), 'pytest', context, v5).graded, true);
  });
});

describe('report.json entries: key order per release, the infrastructure label, no patch', () => {
  const input = {
    instanceId: 'a__b-1',
    testOutput: asTestOutput('PASSED t::a\nFAILED t::b\n', 1),
    expected: { failToPass: ['t::a'], passToPass: ['t::b'] },
    logParser: 'pytest' as const,
  };

  test('keys in the order of each release; 5.x labels the infrastructure failure of a log it cannot grade', () => {
    const current = gradeTestOutput({ ...input, patch: 'diff', rules: v5 });
    assert.deepEqual(Object.keys(current.report), [
      'patch_is_None',
      'patch_exists',
      'patch_successfully_applied',
      'resolved',
      'infra_failure',
      'tests_status',
    ]);
    assert.equal(current.resolution, 'RESOLVED_NO');
    const older = gradeTestOutput({ ...input, patch: 'diff', rules: v4 });
    assert.deepEqual(Object.keys(older.report), [
      'patch_is_None',
      'patch_exists',
      'patch_successfully_applied',
      'resolved',
      'tests_status',
    ]);
    const broken = gradeTestOutput({
      ...input,
      testOutput: asTestOutput('Error response from daemon: no such container'),
      patch: 'diff',
      rules: v5,
    });
    assert.deepEqual(broken.report, {
      patch_is_None: false,
      patch_exists: true,
      patch_successfully_applied: false,
      resolved: false,
      infra_failure: true,
      infra_failure_reason: 'container_unavailable',
    });
  });

  test('no patch: patch_is_None, nothing graded', () => {
    const none = gradeTestOutput({ ...input, patch: null, rules: v5 });
    assert.deepEqual(none.report, {
      patch_is_None: true,
      patch_exists: false,
      patch_successfully_applied: false,
      resolved: false,
      infra_failure: false,
    });
  });
});

describe('the run summary (summary.json): keys per release and how outcomes are counted', () => {
  const results = [
    { instanceId: 'b', status: 'unresolved' as const, testOutput: 'collected 0 items', log: '' },
    { instanceId: 'a', status: 'resolved' as const, testOutput: '', log: '' },
    { instanceId: 'c', status: 'patch-failed' as const, testOutput: '', log: '' },
    { instanceId: 'd', status: 'infra-error' as const, testOutput: '', log: 'Cannot connect to the Docker daemon' },
    { instanceId: 'e', status: 'empty-patch' as const, testOutput: '', log: '' },
  ];

  test('5.x keys, empty patches apart, errors in the total, labels of likely infrastructure failures', () => {
    const summary = harnessRunSummary({
      harnessVersion: 5,
      datasetIds: ['a', 'b', 'c', 'd', 'e', 'f'],
      submittedIds: ['a', 'b', 'c', 'd', 'e'],
      results,
    });
    assert.deepEqual(summary, {
      total_instances: 6,
      submitted_instances: 5,
      completed_instances: 2,
      resolved_instances: 1,
      unresolved_instances: 1,
      infra_failure_instances: 1,
      ambiguous_failure_instances: 1,
      empty_patch_instances: 1,
      error_instances: 2,
      completed_ids: ['a', 'b'],
      incomplete_ids: ['f'],
      empty_patch_ids: ['e'],
      submitted_ids: ['a', 'b', 'c', 'd', 'e'],
      resolved_ids: ['a'],
      unresolved_ids: ['b'],
      infra_failure_ids: ['d'],
      ambiguous_failure_ids: ['b'],
      failure_reasons: { b: 'no_tests_collected', d: 'container_unavailable' },
      error_ids: ['c', 'd'],
      schema_version: 2,
      unstopped_instances: 0,
      unstopped_containers: [],
      unremoved_images: [],
    });
  });

  test('ours (rollout-summary.json): the resolved rate leaves out the infrastructure error, which graded nothing', () => {
    const timed = results.map((result) => ({ ...result, durationMs: 10 }));
    const ours = rolloutRunSummary(5, timed, 0);
    assert.equal(ours.counts['infra-error'], 1);
    assert.equal(
      ours.resolved_rate,
      1 / 4,
      'resolved a over a, b, c and e: the patch that failed and the empty one count',
    );
    const infraOnly = timed.filter((result) => result.status === 'infra-error');
    assert.equal(rolloutRunSummary(5, infraOnly, 0).resolved_rate, null, 'nothing graded: no rate, not 0');
  });

  test('ours: a log the parser failed on is no outcome for the rate, as for rewards', () => {
    const unreadable = { instanceId: 'g', status: 'error' as const, testOutput: '', log: '', durationMs: 10 };
    const timed = [...results.map((result) => ({ ...result, durationMs: 10 })), unreadable];
    const ours = rolloutRunSummary(5, timed, 0);
    assert.equal(ours.counts.error, 1);
    assert.equal(ours.resolved_rate, 1 / 4);
  });

  test('4.x keys', () => {
    const summary = harnessRunSummary({ harnessVersion: 4, datasetIds: ['a', 'b'], submittedIds: ['a', 'b'], results });
    assert.deepEqual(Object.keys(summary), [
      'total_instances',
      'submitted_instances',
      'completed_instances',
      'resolved_instances',
      'unresolved_instances',
      'empty_patch_instances',
      'error_instances',
      'completed_ids',
      'incomplete_ids',
      'empty_patch_ids',
      'submitted_ids',
      'resolved_ids',
      'unresolved_ids',
      'error_ids',
      'schema_version',
    ]);
  });
});

describe('the SWE-bench instance the old grading got wrong', () => {
  test('pytest-dev__pytest-11143: a log where every expected test passes (ids cut at a space) is graded as the harness grades it', async () => {
    const fixtures = join(process.cwd(), 'test', 'fixtures', 'swe-bench');
    const task = await loadTask(join(fixtures, 'swe-bench-lite-sample.json'), 'pytest-dev__pytest-11143');
    assert.ok(
      [...task.failToPass, ...task.passToPass].some((id) => id.endsWith('test_get_assertion_exprs[assert')),
      'the dataset stores ids cut at a space',
    );
    // The log prints each expected id whole; the verdict is what harness 5.0.2 returned on it (SOURCE.md).
    const log = readFileSync(join(fixtures, 'pytest-11143-all-pass.log'), 'utf8');
    const harness = JSON.parse(readFileSync(join(fixtures, 'pytest-11143-harness-verdict.json'), 'utf8')) as {
      status_map: Record<string, string>;
      resolution: string;
    };
    const grade = await gradeLog(task, log, { harnessVersion: 5 });
    assert.equal(grade.log_parser, 'pytest');
    assert.deepEqual(grade.status_map, harness.status_map);
    assert.equal(grade.resolution, harness.resolution);
  });
});
