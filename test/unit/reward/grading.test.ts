import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradeTests, instanceReport, resolutionStatus, runSummary } from '../../../src/core/reward/grading';
import { parseTestLog } from '../../../src/core/reward/logParsers/index';
import type { StatusMap } from '../../../src/core/reward/testStatus';

function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'swe-bench', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** Field names and types, recursively, in order: the shape a consumer of the harness's files relies on. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (value && typeof value === 'object') return Object.entries(value).map(([key, inner]) => [key, shape(inner)]);
  return typeof value;
}

const statuses: StatusMap = new Map([
  ['t::fixed', 'PASSED'],
  ['t::xfail', 'XFAIL'],
  ['t::still_broken', 'FAILED'],
  ['t::kept', 'PASSED'],
  ['t::broken_now', 'ERROR'],
  ['t::skipped', 'SKIPPED'],
]);

describe('grading with SWE-bench semantics', () => {
  test('passed = PASSED or XFAIL; failed = FAILED, ERROR or missing; skipped is in neither list', () => {
    const tests = gradeTests(statuses, {
      failToPass: ['t::fixed', 't::xfail', 't::still_broken', 't::missing'],
      passToPass: ['t::kept', 't::broken_now', 't::skipped'],
    });
    assert.deepEqual(tests.FAIL_TO_PASS, {
      success: ['t::fixed', 't::xfail'],
      failure: ['t::still_broken', 't::missing'],
    });
    assert.deepEqual(tests.PASS_TO_PASS, { success: ['t::kept'], failure: ['t::broken_now'] });
    assert.deepEqual(tests.FAIL_TO_FAIL, { success: [], failure: [] });
  });

  test('resolution: full only when both groups pass; partial when some FAIL_TO_PASS pass and no PASS_TO_PASS broke', () => {
    const full = gradeTests(statuses, { failToPass: ['t::fixed'], passToPass: ['t::kept'] });
    const partial = gradeTests(statuses, { failToPass: ['t::fixed', 't::still_broken'], passToPass: ['t::kept'] });
    const broke = gradeTests(statuses, { failToPass: ['t::fixed'], passToPass: ['t::broken_now'] });
    assert.equal(resolutionStatus(full), 'RESOLVED_FULL');
    assert.equal(resolutionStatus(partial), 'RESOLVED_PARTIAL');
    assert.equal(resolutionStatus(broke), 'RESOLVED_NO');
  });

  test('report.json has exactly the shape of the harness report fixture', () => {
    const report = instanceReport({
      modelName: 'm',
      patch: 'diff --git a/x b/x\n',
      patchApplied: true,
      statuses,
      expected: { failToPass: ['t::fixed'], passToPass: ['t::kept'] },
    });
    assert.deepEqual(shape(JSON.parse(JSON.stringify(report))), shape(fixtureJson('instance-report-example.json')));
    assert.equal(report.resolved, true);
  });

  test('the harness fixture regraded from a pytest log of its own tests resolves again', () => {
    const harness = fixtureJson('instance-report-example.json') as {
      tests_status: { FAIL_TO_PASS: { success: string[] }; PASS_TO_PASS: { success: string[] } };
    };
    const failToPass = harness.tests_status.FAIL_TO_PASS.success;
    const passToPass = harness.tests_status.PASS_TO_PASS.success;
    const log = [
      '=========================== short test summary info ============================',
      ...[...failToPass, ...passToPass].map((id) => `PASSED ${id}`),
    ].join('\n');
    const report = instanceReport({
      modelName: 'm',
      patch: 'x',
      patchApplied: true,
      statuses: parseTestLog('pytest', log),
      expected: { failToPass, passToPass },
    });
    assert.deepEqual(report.tests_status.FAIL_TO_PASS.success, failToPass);
    assert.deepEqual(report.tests_status.PASS_TO_PASS.success, passToPass);
    assert.equal(report.resolved, true);
  });

  test('a patch that did not apply, an empty patch and no patch are told apart and never resolved', () => {
    const expected = { failToPass: ['t::fixed'], passToPass: [] };
    const notApplied = instanceReport({ modelName: 'm', patch: 'garbage', patchApplied: false, expected });
    assert.deepEqual(
      [notApplied.patch_is_None, notApplied.patch_exists, notApplied.patch_successfully_applied, notApplied.resolved],
      [false, true, false, false],
    );
    const none = instanceReport({ modelName: 'm', patch: null, patchApplied: true, statuses: new Map(), expected });
    assert.deepEqual([none.patch_is_None, none.patch_exists, none.resolved], [true, false, false]);
    const empty = instanceReport({ modelName: 'm', patch: '  \n', patchApplied: true, statuses: new Map(), expected });
    assert.deepEqual([empty.patch_is_None, empty.patch_exists, empty.resolved], [false, false, false]);
  });

  test('run summary has the harness fields first; infra errors count in neither resolved, unresolved nor total', () => {
    const summary = runSummary([
      { instanceId: 'a', status: 'resolved' },
      { instanceId: 'b', status: 'unresolved' },
      { instanceId: 'c', status: 'patch-failed' },
      { instanceId: 'd', status: 'infra-error' },
    ]);
    const harnessKeys = Object.keys(fixtureJson('run-summary-example.json'));
    assert.deepEqual(Object.keys(summary).slice(0, harnessKeys.length), harnessKeys);
    assert.deepEqual(summary, {
      resolved: 1,
      unresolved: 2,
      total: 3,
      ids_resolved: ['a'],
      ids_unresolved: ['b', 'c'],
      patch_failed: 1,
      ids_patch_failed: ['c'],
      infra_error: 1,
      ids_infra_error: ['d'],
    });
  });
});
