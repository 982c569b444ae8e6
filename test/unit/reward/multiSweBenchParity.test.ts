import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHarnessVersion } from '../../../src/core/reward/harnessVersion';
import { LOG_PARSER_NAMES, parseTestLog } from '../../../src/core/reward/logParsers/index';
import { universalNewlines } from '../../../src/core/reward/logParsers/text';
import { LogParseError, type StatusMap } from '../../../src/core/reward/testStatus';
import { multiSweBenchLogParser } from '../../../src/core/task/multiSweBenchSource';
import harness from '../../../src/core/task/multiSweBenchHarness.json';

/**
 * Multi-SWE-bench's parsers against its harness: every log of the corpus (test/fixtures/multi-swe-bench/
 * parser-logs.json: real runs of each tool from the grading-parity corpus and logs written in each tool's format)
 * read by the parser a row of each listed repository gets, against what the harness's own parse_log for that
 * repository returned on the same log (harness-parser-outputs.json, made by running the harness's registry at the
 * commit it names, outside this repository). A repository whose harness parser reads by pull-request number is
 * checked at each number beside and at the bounds of the table's ranges (`org/repo#NUMBER` in the outputs).
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures');

type HarnessOutput = { passed: string[]; failed: string[]; skipped: string[] } | { error: string };

const outputs = JSON.parse(readFileSync(join(FIXTURES, 'multi-swe-bench', 'harness-parser-outputs.json'), 'utf8')) as {
  commit: string;
  results: Record<string, Record<string, HarnessOutput>>;
};
const logs = (
  JSON.parse(readFileSync(join(FIXTURES, 'multi-swe-bench', 'parser-logs.json'), 'utf8')) as { logs: string[] }
).logs;
const context = { instanceId: 'org__repo-1', harnessVersion: parseHarnessVersion('5') };

/**
 * The three sets as the harness writes them (sorted), from a status map read as grading reads it (an expected
 * failure passed, an error failed), as the harness's Python parsers turn their status maps into sets.
 */
function asSets(statuses: StatusMap): HarnessOutput {
  const named = (...status: string[]) =>
    [...statuses].filter(([, value]) => status.includes(value)).map(([test]) => test);
  return {
    passed: named('PASSED', 'XFAIL').sort(),
    failed: named('FAILED', 'ERROR').sort(),
    skipped: named('SKIPPED').sort(),
  };
}

function sortedLikePython(output: HarnessOutput): HarnessOutput {
  if ('error' in output) return output;
  // Python sorts strings by code point; JavaScript's default sort compares UTF-16 units (the same below U+D800).
  return { passed: [...output.passed].sort(), failed: [...output.failed].sort(), skipped: [...output.skipped].sort() };
}

describe("Multi-SWE-bench's log parsers, against its harness", () => {
  test('the corpus covers every repository listed and every Multi-SWE-bench parser, at the commit the table names', () => {
    assert.equal(outputs.commit, harness.commit);
    const checked = new Set(Object.keys(outputs.results).map((key) => key.split('#')[0]));
    assert.deepEqual([...checked].sort(), Object.keys(harness.parsers).sort());
    for (const [name, entry] of Object.entries(harness.parsers)) {
      if (typeof entry === 'string') continue;
      for (const { from, to } of entry as { from?: number; to?: number }[])
        for (const bound of [from, to].filter((value) => value !== undefined))
          for (const number of [bound - 1, bound, bound + 1])
            assert.ok(`${name}#${number}` in outputs.results, `${name}: pull request ${number} not checked`);
    }
    const used = new Set(
      Object.values(harness.parsers).flatMap((entry) =>
        typeof entry === 'string' ? [entry] : entry.map(({ parser }) => parser),
      ),
    );
    assert.deepEqual(
      LOG_PARSER_NAMES.filter((name) => name.startsWith('mswebench_') && !used.has(name)),
      // The harness's own parsers, for the rows the table does not list (multiSweBenchHarness.test.ts).
      ['mswebench_harness'],
    );
    for (const results of Object.values(outputs.results))
      assert.deepEqual(Object.keys(results).sort(), [...logs].sort());
  });

  test("each repository's rows read every log as the harness's parser for that repository does", () => {
    const mismatches: string[] = [];
    for (const [harnessName, results] of Object.entries(outputs.results)) {
      const [name, number] = harnessName.split('#');
      const [org, repo] = name.split('/');
      const parser = multiSweBenchLogParser({ org, repo, number: Number(number ?? 1) });
      assert.ok(parser, `${harnessName}: no parser chosen`);
      for (const [log, expected] of Object.entries(results)) {
        const text = universalNewlines(readFileSync(join(FIXTURES, log), 'utf8'));
        let actual: HarnessOutput;
        try {
          actual = asSets(parseTestLog(parser, text, context));
        } catch (error) {
          if (!(error instanceof LogParseError)) throw error;
          actual = { error: error.message };
        }
        const agrees =
          'error' in expected
            ? 'error' in actual
            : JSON.stringify(actual) === JSON.stringify(sortedLikePython(expected));
        if (!agrees)
          mismatches.push(
            `${harnessName} on ${log}: harness ${JSON.stringify(expected)}, ours ${JSON.stringify(actual)}`,
          );
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test("a row's parser is the harness's for its pull-request range or release tag where it names one, else its repository's", () => {
    assert.equal(multiSweBenchLogParser({ org: 'BurntSushi', repo: 'ripgrep' }), 'mswebench_cargo');
    assert.equal(multiSweBenchLogParser({ org: 'burntsushi', repo: 'ripgrep' }), 'mswebench_cargo');
    // The harness reads ripgrep's pull requests 772 down to 406 with another parser, one we do not have.
    assert.equal(
      multiSweBenchLogParser({ org: 'BurntSushi', repo: 'ripgrep', number_interval: 'ripgrep_772_to_406' }),
      undefined,
    );
    assert.equal(multiSweBenchLogParser({ org: 'zulip', repo: 'zulip-terminal', tag: '0.6.0' }), undefined);
    // The harness reads mruby's logs three ways by pull-request number, with no interval in the row's name.
    assert.equal(multiSweBenchLogParser({ org: 'mruby', repo: 'mruby', number: 2783 }), 'mswebench_mruby_totals');
    assert.equal(multiSweBenchLogParser({ org: 'mruby', repo: 'mruby', number: '2784' }), 'mswebench_mruby_ko_counts');
    assert.equal(multiSweBenchLogParser({ org: 'mruby', repo: 'mruby', number: 6442 }), 'mswebench_mruby_tests');
    assert.equal(multiSweBenchLogParser({ org: 'expressjs', repo: 'express', number: 5555 }), 'mswebench_mocha');
    assert.equal(multiSweBenchLogParser({ org: 'expressjs', repo: 'express', number: 5556 }), 'mswebench_mocha_json');
    assert.throws(() => multiSweBenchLogParser({ org: 'facebook', repo: 'zstd' }), /must be an integer/);
  });
});
