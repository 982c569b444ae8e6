import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_PARSERS, parseTestLog } from '../../../src/core/reward/logParsers/index';
import { TEST_FRAMEWORKS } from '../../../src/core/task/task';

/**
 * Logs written by really running the suites in test/unit/reward/logs/suites: on the host (generate.sh) and,
 * as `image-*`, inside the sandbox images with their older pytest 7, Node 18 (generate-in-images.sh).
 */
function realLog(name: string): string {
  return readFileSync(join(process.cwd(), 'test', 'unit', 'reward', 'logs', name), 'utf8');
}

function asObject(map: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}

describe('log parsers on real test-runner output', () => {
  test('every framework of the task model has a parser in the one registry', () => {
    assert.deepEqual(Object.keys(LOG_PARSERS).sort(), [...TEST_FRAMEWORKS].sort());
  });

  test('pytest -rA: node ids with classes and parameters (spaces included), xfail, fixture errors', () => {
    for (const log of ['pytest.log', 'image-pytest.log'])
      assert.deepEqual(asObject(parseTestLog('pytest', realLog(log))), {
        'test_sample.py::TestGroup::test_method_parametrized[-1]': 'FAILED',
        'test_sample.py::TestGroup::test_method_parametrized[0]': 'PASSED',
        'test_sample.py::TestGroup::test_method_passes': 'PASSED',
        'test_sample.py::test_expected_failure': 'XFAIL',
        'test_sample.py::test_fails': 'FAILED',
        'test_sample.py::test_fixture_error': 'ERROR',
        'test_sample.py::test_increment[1-2]': 'PASSED',
        'test_sample.py::test_increment[2-3]': 'PASSED',
        'test_sample.py::test_increment[a b-a b1]': 'PASSED',
        'test_sample.py::test_passes': 'PASSED',
      });
  });

  test('python -m unittest -v: outcomes, docstring ids, output between the name and the outcome', () => {
    for (const log of ['unittest.log', 'image-unittest.log'])
      assert.deepEqual(asObject(parseTestLog('unittest', realLog(log))), {
        'A sitemap index renders without items.': 'PASSED',
        'test_errors (test_sample.ArithmeticTests.test_errors)': 'ERROR',
        'test_expected_failure (test_sample.ArithmeticTests.test_expected_failure)': 'XFAIL',
        'test_fails (test_sample.ArithmeticTests.test_fails)': 'FAILED',
        'test_passes (test_sample.ArithmeticTests.test_passes)': 'PASSED',
        'test_prints_output (test_sample.ArithmeticTests.test_prints_output)': 'PASSED',
        'test_skipped (test_sample.ArithmeticTests.test_skipped)': 'SKIPPED',
      });
  });

  test('node --test --test-reporter=tap: nested subtests joined with " > ", skip and todo', () => {
    for (const log of ['node-tap.log', 'image-node-tap.log'])
      assert.deepEqual(asObject(parseTestLog('node-tap', realLog(log))), {
        'adds numbers': 'PASSED',
        'fails on purpose': 'FAILED',
        parser: 'FAILED',
        'parser > nested group': 'FAILED',
        'parser > nested group > reads a string': 'PASSED',
        'parser > nested group > rejects garbage': 'FAILED',
        'parser > reads a number': 'PASSED',
        'parent with subtests': 'PASSED',
        'parent with subtests > child one': 'PASSED',
        'parent with subtests > child two': 'PASSED',
        'skipped test': 'SKIPPED',
        'todo test': 'SKIPPED',
      });
  });

  test('go test -json: tests and subtests as TestName/sub', () => {
    for (const log of ['go-test.json.log', 'image-go-test.json.log'])
      assert.deepEqual(asObject(parseTestLog('go-test-json', realLog(log))), {
        TestFails: 'FAILED',
        TestPasses: 'PASSED',
        TestSkipped: 'SKIPPED',
        TestTable: 'FAILED',
        'TestTable/one': 'PASSED',
        'TestTable/three_bad': 'FAILED',
        'TestTable/two': 'PASSED',
      });
  });

  test('jest --json: describe titles joined with " > ", pending and todo as skipped, found among other output', () => {
    const log = `> npm test\nsome noise\n${realLog('jest.json').trim()}\nmore noise\n`;
    assert.deepEqual(asObject(parseTestLog('jest-json', log)), {
      'math > adds': 'PASSED',
      'math > fails on purpose': 'FAILED',
      'math > nested > multiplies': 'PASSED',
      'math > nested > skipped one': 'SKIPPED',
      'top level': 'PASSED',
      'write this': 'SKIPPED',
    });
  });

  test('JUnit XML (pytest --junitxml): classname.name, failures, errors, skips and xfail', () => {
    const statuses = parseTestLog('junit-xml', realLog('junit-pytest.xml'));
    assert.equal(statuses.size, 11);
    assert.equal(statuses.get('test_sample.test_passes'), 'PASSED');
    assert.equal(statuses.get('test_sample.test_fails'), 'FAILED');
    assert.equal(statuses.get('test_sample.test_fixture_error'), 'ERROR');
    assert.equal(statuses.get('test_sample.test_skipped'), 'SKIPPED');
    assert.equal(statuses.get('test_sample.test_expected_failure'), 'XFAIL');
    assert.equal(statuses.get('test_sample.TestGroup.test_method_parametrized[-1]'), 'FAILED');
    assert.equal(statuses.get('test_sample.test_increment[a b-a b1]'), 'PASSED');
  });

  test('a log with no test results gives an empty map, not an error', () => {
    for (const framework of TEST_FRAMEWORKS)
      assert.equal(parseTestLog(framework, 'bash: pytest: command not found\n').size, 0, framework);
  });
});
