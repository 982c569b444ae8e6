import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_PARSER_NAMES, logParserName, parseTestLog } from '../../../src/core/reward/logParsers/index';
import { lines, stripAnsi, words } from '../../../src/core/reward/logParsers/text';

/**
 * Rollout Studio's own parsers, on logs written by really running the suites in test/unit/reward/logs/suites:
 * on the host (generate.sh) and, as `image-*`, inside the node sandbox image. The harness's parsers are
 * checked against the harness itself (gradingParity.test.ts).
 */
function realLog(name: string): string {
  return readFileSync(join(process.cwd(), 'test', 'unit', 'reward', 'logs', name), 'utf8');
}

function asObject(map: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}

const context = { instanceId: 'acme__calc-1', harnessVersion: 5 as const };

describe("Rollout Studio's own log parsers on real test-runner output", () => {
  test('node --test --test-reporter=tap: nested subtests joined with " > ", skip and todo', () => {
    for (const log of ['node-tap.log', 'image-node-tap.log'])
      assert.deepEqual(asObject(parseTestLog('node-tap', realLog(log), context)), {
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

  test('JUnit XML (pytest --junitxml): classname.name, failures, errors, skips and xfail', () => {
    const statuses = parseTestLog('junit-xml', realLog('junit-pytest.xml'), context);
    assert.equal(statuses.size, 11);
    assert.equal(statuses.get('test_sample.test_passes'), 'PASSED');
    assert.equal(statuses.get('test_sample.test_fails'), 'FAILED');
    assert.equal(statuses.get('test_sample.test_fixture_error'), 'ERROR');
    assert.equal(statuses.get('test_sample.test_skipped'), 'SKIPPED');
    assert.equal(statuses.get('test_sample.test_expected_failure'), 'XFAIL');
    assert.equal(statuses.get('test_sample.TestGroup.test_method_parametrized[-1]'), 'FAILED');
    assert.equal(statuses.get('test_sample.test_increment[a b-a b1]'), 'PASSED');
  });
});

describe('the log parser registry', () => {
  test('every parser gives an empty map for a log with no results', () => {
    const instanceId = (name: string) =>
      name === 'jekyll'
        ? 'jekyll__jekyll-9141'
        : name === 'immutable_js'
          ? 'immutable-js__immutable-js-2006'
          : context.instanceId;
    // Lighthouse's parser is chosen by the task's version, which must be a number.
    const version = (name: string) => (name === 'lighthouse' ? { version: '10.0' } : {});
    // zstd's and mruby's readings judge the whole run (or its build) as one test: failed when it printed nothing.
    const judgesTheWholeRun = (name: string) => /^mswebench_(zstd|mruby)_/.test(name);
    // The harnesses' own parsers read a log in the harness (multiSweBenchHarness.test.ts, sweRebenchV2Parity.test.ts),
    // not here; SWE-bench Pro's reads results the test command prints, and their absence is no empty run
    // (sweBenchPro.test.ts).
    const elsewhere = ['mswebench_harness', 'swebench_pro', 'swe_rebench_v2_harness'];
    for (const name of LOG_PARSER_NAMES.filter((parser) => !elsewhere.includes(parser))) {
      const statuses = parseTestLog(name, 'bash: pytest: command not found\n', {
        ...context,
        instanceId: instanceId(name),
        ...version(name),
      });
      if (judgesTheWholeRun(name)) assert.deepEqual(new Set(statuses.values()), new Set(['FAILED']), name);
      else assert.equal(statuses.size, 0, name);
    }
  });

  test("a dataset's parser name may carry the harness's prefix; an unknown one is refused by name", () => {
    assert.equal(logParserName('parse_log_pytest_v2'), 'pytest_v2');
    assert.equal(logParserName('gotest'), 'gotest');
    assert.equal(logParserName('parse_log_calypso'), 'calypso');
    assert.equal(logParserName('parse_log_lighthouse'), 'lighthouse');
    assert.equal(logParserName('parse_log_p5js'), 'p5js');
    assert.equal(logParserName('parse_log_quarto_cli'), 'quarto_cli');
    assert.throws(() => logParserName('emotion'), /'emotion' is not a log parser/);
    assert.throws(() => logParserName('mocha'), /'mocha' is not a log parser/);
  });

  test("jekyll's parser is chosen by instance (minitest or cucumber); an instance with none is refused", () => {
    const minitest = 'TestSite#test_: a should b.  = 0.00 s = .\n';
    assert.equal(parseTestLog('jekyll', minitest, { ...context, instanceId: 'jekyll__jekyll-9141' }).size, 1);
    assert.throws(
      () => parseTestLog('jekyll', minitest, { ...context, instanceId: 'jekyll__jekyll-1' }),
      /no log parser/,
    );
  });
});

describe('text as Python reads it', () => {
  test('split and strip on the whitespace Python knows, CR kept at line ends, colour codes removed', () => {
    assert.deepEqual(words('  PASSED\tx::y\u00a0z\r'), ['PASSED', 'x::y', 'z']);
    assert.deepEqual(lines('a\r\nb'), ['a\r', 'b']);
    assert.equal(stripAnsi('\u001b[32mPASSED\u001b[0m x'), 'PASSED x');
  });
});
