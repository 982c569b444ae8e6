/** SWE-bench Pro's results reader: what the test command prints, and what its absence means. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSweBenchPro, SWE_BENCH_PRO_RESULTS_MARKERS } from '../../../src/core/reward/logParsers/sweBenchPro';
import { LogParseError } from '../../../src/core/reward/testStatus';

const { start, end } = SWE_BENCH_PRO_RESULTS_MARKERS;

test("the parser's results between the markers, the runner's own output before them left unread", () => {
  const results = {
    tests: [
      { name: 'PASSED a', status: 'FAILED' },
      { name: 'b', status: 'SKIPPED' },
    ],
  };
  const log = `PASSED a\n${start}\n${JSON.stringify(results, null, 2)}\n${end}\n`;
  assert.deepEqual(
    [...parseSweBenchPro(log)],
    [
      ['PASSED a', 'FAILED'],
      ['b', 'SKIPPED'],
    ],
  );
});

test('no results (the command stopped before them, the parser wrote none) is no reading, no failed run', () => {
  for (const log of [
    'bash: python: command not found\n',
    `${start}\ncat: /workspace/output.json: No such file\n\n${end}\n`,
  ])
    assert.throws(() => parseSweBenchPro(log), LogParseError);
  assert.throws(() => parseSweBenchPro(`${start}\n{"results": []}\n${end}\n`), /no "tests" list/);
  assert.throws(() => parseSweBenchPro(`${start}\n{"tests": [{"name": "a"}]}\n${end}\n`), /no string name and status/);
});
