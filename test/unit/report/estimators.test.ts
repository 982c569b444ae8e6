import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bootstrapMeanInterval, pairedBootstrap, words } from '../../../src/core/report/bootstrap';
import {
  chiSquare1Sf,
  MCNEMAR_EXACT_BELOW,
  mcnemar,
  passAtK,
  passHatK,
  quantileSorted,
  spread,
} from '../../../src/core/report/estimators';
import { packageRoot } from '../../../src/core/paths';

/** Values computed by the reference implementations (test/fixtures/report/SOURCE.md says which, at which commit). */
interface OracleValues {
  pass_at_k: { n: number; c: number; k: number; value: number }[];
  pass_hat_k: { n: number; correct: number[]; values: Record<string, number> }[];
  mcnemar: { table: number[][]; exact: number; chi2_statistic?: number; chi2_p?: number }[];
  chi2_sf: { x: number; p: number }[];
  words: { seed: number; values: number[] };
  bootstrap: { values: number[]; resamples: number; seed: number; low: number; high: number };
  paired_bootstrap: { differences: number[]; resamples: number; seed: number; low: number; high: number; p: number };
}

const oracle = JSON.parse(
  readFileSync(join(packageRoot(), 'test', 'fixtures', 'report', 'oracle-values.json'), 'utf8'),
) as OracleValues;

function close(actual: number, expected: number, tolerance = 1e-12, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} is not ${expected}`,
  );
}

describe('pass@k (Chen et al. 2021), against human-eval’s estimate_pass_at_k', () => {
  test('n = 10, c = 3 for every k from 1 to 10, worked out by hand as 1 − C(7,k)/C(10,k)', () => {
    // C(7,k)/C(10,k): 7/10, 21/45, 35/120, 35/210, 21/252, 7/210, 1/120, then 0.
    const byHand = [3 / 10, 24 / 45, 85 / 120, 175 / 210, 231 / 252, 203 / 210, 119 / 120, 1, 1, 1];
    byHand.forEach((expected, i) => close(passAtK(10, 3, i + 1), expected, 1e-12, `k=${i + 1}`));
  });

  test('every case of the reference run matches it', () => {
    assert.ok(oracle.pass_at_k.length >= 40);
    for (const { n, c, k, value } of oracle.pass_at_k) close(passAtK(n, c, k), value, 1e-12, `n=${n} c=${c} k=${k}`);
  });

  test('refuses counts that cannot be', () => {
    assert.throws(() => passAtK(3, 4, 1), RangeError);
    assert.throws(() => passAtK(3, 1, 4), RangeError);
    assert.throws(() => passAtK(3, 1, 0), RangeError);
  });
});

describe('pass^k (τ-bench), against tau-bench’s display_metrics', () => {
  test('n = 10, c = 3 by hand: C(3,k)/C(10,k)', () => {
    close(passHatK(10, 3, 1), 0.3);
    close(passHatK(10, 3, 2), 3 / 45);
    close(passHatK(10, 3, 3), 1 / 120);
    assert.equal(passHatK(10, 3, 4), 0);
  });

  test('the task average of every reference run matches it for every k', () => {
    for (const { n, correct, values } of oracle.pass_hat_k) {
      for (const [k, expected] of Object.entries(values)) {
        const mean = correct.reduce((sum, c) => sum + passHatK(n, c, Number(k)), 0) / correct.length;
        close(mean, expected, 1e-12, `correct=${correct} k=${k}`);
      }
    }
  });
});

describe('McNemar, against statsmodels', () => {
  test('exact binomial below 25 discordant pairs, continuity-corrected χ² from there on, as statsmodels computes each', () => {
    for (const { table, exact, chi2_statistic, chi2_p } of oracle.mcnemar) {
      const [b, c] = [table[0][1], table[1][0]];
      const result = mcnemar(b, c);
      if (b + c < MCNEMAR_EXACT_BELOW) {
        assert.equal(result.test, 'exact-binomial');
        close(result.pValue, exact, 1e-12, `exact ${b}/${c}`);
      } else {
        assert.equal(result.test, 'chi-square-continuity-corrected');
        close(result.statistic!, chi2_statistic!, 1e-12, `statistic ${b}/${c}`);
        close(result.pValue, chi2_p!, 1e-9, `p ${b}/${c}`);
      }
    }
  });

  test('a known table by hand: 7 against 1 discordant pairs gives p = 2 · 9/256', () => {
    assert.deepEqual(mcnemar(7, 1), { onlyFirst: 7, onlySecond: 1, test: 'exact-binomial', pValue: 18 / 256 });
    assert.equal(mcnemar(0, 0).pValue, 1);
  });

  test('the χ² tail on one degree of freedom matches scipy', () => {
    for (const { x, p } of oracle.chi2_sf) close(chiSquare1Sf(x), p, 1e-9, `x=${x}`);
  });
});

describe('bootstrap with a fixed seed, against the same scheme in NumPy', () => {
  test('the generator draws what RandomState(0).randint(0, 2**32) draws', () => {
    const next = words(oracle.words.seed);
    for (const expected of oracle.words.values) assert.equal(next(), expected);
  });

  test('identical values need no draws: their interval is the value itself', () => {
    assert.deepEqual(bootstrapMeanInterval([0.5], { resamples: 10 }), {
      low: 0.5,
      high: 0.5,
      level: 0.95,
      resamples: 10,
      seed: 0,
    });
  });

  test('the percentile interval of a mean equals NumPy’s to the last bit', () => {
    const { values, resamples, seed, low, high } = oracle.bootstrap;
    const interval = bootstrapMeanInterval(values, { resamples, seed });
    assert.deepEqual(interval, { low, high, level: 0.95, resamples, seed });
  });

  test('the paired bootstrap gives NumPy’s interval and two-sided p-value', () => {
    const { differences, resamples, seed, low, high, p } = oracle.paired_bootstrap;
    const result = pairedBootstrap(differences, { resamples, seed })!;
    assert.equal(result.interval.low, low);
    assert.equal(result.interval.high, high);
    assert.equal(result.pValue, p);
    close(result.meanDifference, 0.3);
  });

  test('below 6 tasks no p-value, however one-sided the resamples (one shared task, say); from 6 on, one', () => {
    for (const differences of [[1], [1, 1, 1], [1, 0.5, 1, 1, 0.5]]) {
      const result = pairedBootstrap(differences)!;
      assert.equal(result.pValue, null, `${differences}`);
      assert.ok(result.interval.low > 0, 'the interval is still given');
    }
    assert.equal(pairedBootstrap([1, 1, 1, 1, 1, 1])!.pValue, 0);
    assert.equal(pairedBootstrap([0, 0, 0, 0, 0, 0])!.pValue, 1);
  });

  test('the same seed gives the same interval; another seed another one', () => {
    const values = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1];
    assert.deepEqual(bootstrapMeanInterval(values, { seed: 5 }), bootstrapMeanInterval(values, { seed: 5 }));
    assert.notDeepEqual(
      bootstrapMeanInterval(values, { seed: 5, resamples: 200 }),
      bootstrapMeanInterval(values, { seed: 6, resamples: 200 }),
    );
    assert.equal(bootstrapMeanInterval([]), null);
  });
});

describe('quantiles', () => {
  test('type 7 (linear between order statistics), as NumPy’s percentile', () => {
    const sorted = [1, 2, 3, 4, 10];
    assert.equal(quantileSorted(sorted, 0.5), 3);
    close(quantileSorted(sorted, 0.9)!, 7.6);
    assert.equal(quantileSorted([], 0.5), null);
    assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, p90: 3.7, mean: 2.5 });
  });
});
