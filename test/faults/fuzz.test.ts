import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzzFormat, fuzzFormats } from './fuzz/inputFormats';

// Bounded in CI: a fixed seed and a few hundred inputs per format; `npm run bench:faults` runs 10,000 each.
const RUNS = 300;
const SEED = 20261202;

describe('fuzzed inputs (fast-check, fixed seed): every input loads or is refused with an error naming its file and line; no other exception, no hang', () => {
  for (const format of fuzzFormats())
    test(format.name, async () => {
      const figures = await fuzzFormat(format, { runs: RUNS, seed: SEED });
      assert.equal(figures.inputs, RUNS);
    });
});
