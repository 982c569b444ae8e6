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
import {
  EXACT_SIGN_FLIP_MAX_TASKS,
  exactSignFlip,
  monteCarloSignFlip,
  signFlipTest,
} from '../../../src/core/report/signFlip';

/** Values computed by the reference implementations (test/fixtures/report/SOURCE.md says which, at which commit). */
interface OracleValues {
  pass_at_k: { n: number; c: number; k: number; value: number }[];
  pass_hat_k: { n: number; correct: number[]; values: Record<string, number> }[];
  mcnemar: { table: number[][]; exact: number; chi2_statistic?: number; chi2_p?: number }[];
  chi2_sf: { x: number; p: number }[];
  words: { seed: number; values: number[] };
  bootstrap: { values: number[]; resamples: number; seed: number; low: number; high: number };
  /** `p` is the bootstrap p-value the report no longer gives. */
  paired_bootstrap: { differences: number[]; resamples: number; seed: number; low: number; high: number };
  /** scipy's exact permutation_test p-value of the differences, or of the pairs (first[i], second[i]). */
  sign_flip: ({ differences: number[]; p: number } | { first: number[]; second: number[]; p: number })[];
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

  test('the paired bootstrap gives NumPy’s interval, and no p-value (the sign-flip test gives it)', () => {
    const { differences, resamples, seed, low, high } = oracle.paired_bootstrap;
    const result = pairedBootstrap(differences, { resamples, seed })!;
    assert.deepEqual(Object.keys(result).sort(), ['interval', 'meanDifference']);
    assert.equal(result.interval.low, low);
    assert.equal(result.interval.high, high);
    close(result.meanDifference, 0.3);
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

describe('sign-flip test of the paired reward difference, against scipy’s permutation_test', () => {
  const settings = { resamples: 2000, seed: 0 };
  const differencesOf = (c: OracleValues['sign_flip'][number]) =>
    'differences' in c ? c.differences : c.first.map((x, i) => x - c.second[i]);

  test('every reference case: the exact p-value is scipy’s to 1e-12', () => {
    assert.ok(oracle.sign_flip.length >= 15);
    assert.equal(Math.max(...oracle.sign_flip.map((c) => differencesOf(c).length)), EXACT_SIGN_FLIP_MAX_TASKS);
    for (const c of oracle.sign_flip) {
      const differences = differencesOf(c);
      const result = signFlipTest(differences, settings)!;
      assert.equal(result.test, 'exact-sign-flip');
      assert.equal(result.assignments, 2 ** differences.length);
      close(result.pValue, c.p, 1e-12, `${differences}`);
    }
  });

  test('by hand: one task p = 1; five of one sign 2/2⁵ (no p below 0.05 from 5 tasks); six 2/2⁶; all 0 p = 1', () => {
    assert.equal(signFlipTest([1], settings)!.pValue, 1);
    assert.equal(signFlipTest([-0.5], settings)!.pValue, 1);
    assert.equal(signFlipTest([1, 1, 1, 1, 1], settings)!.pValue, 2 / 32);
    assert.equal(signFlipTest([1, 0.5, 1, 1 / 3, 1, 1], settings)!.pValue, 2 / 64);
    assert.equal(signFlipTest([0, 0, 0, 0, 0, 0], settings)!.pValue, 1);
    assert.equal(signFlipTest([], settings), null);
  });

  test('rounding is no evidence: sums equal but for their last bits are ties', () => {
    // The same per-task rewards, swapped between the groups: the mean difference is 0, so p = 1. Some flipped sums
    // (0.5 − 0.45 − 0.5 + 0.45) come out a hair from 0; scipy's tolerance is relative to the observed mean, 0
    // here, and its permutation_test gives 0.875.
    const first = [0.25, 0.3, 0.75, 0.75];
    const second = [0.75, 0.75, 0.25, 0.3];
    assert.equal(exactSignFlip(first.map((x, i) => x - second[i])).pValue, 1);
    // Rewards equal but for rounding (0.1 + 0.2 against 0.3) on ten tasks: ten differences of +5.6e-17, p = 1, not
    // the 2/2¹⁰ scipy gives.
    const equal = Array.from({ length: 10 }, () => 0.1 + 0.2 - 0.3);
    assert.ok(equal[0] > 0);
    assert.equal(exactSignFlip(equal).pValue, 1);
    // Differences of per-task mean rewards (−11/15, 2/15, 1/12, …, as subtracted in doubles), mean 1/330: in rational
    // arithmetic 1,019 of the 2¹¹ flipped sums are ≤ 0 and 1,061 ≥ 0, p = 2 · 1019/2048. scipy gives 0.994140625:
    // rounding puts ties a hair off 0, beyond its tolerance of 100 ε times the small observed mean.
    const thirtieths = [
      -0.7333333333333334, 0.13333333333333341, 0.08333333333333331, 0.6333333333333334, 0.08333333333333331,
      -0.09999999999999998, -0.08333333333333334, 0.23333333333333336, -0.5, -0.26666666666666666, 0.55,
    ];
    assert.equal(exactSignFlip(thirtieths).pValue, 2038 / 2048);
  });

  test('above 20 tasks a Monte Carlo test with the report’s resamples and seed, reproducible', () => {
    const differences = Array.from({ length: 25 }, (_, i) => ((i * 7) % 11) / 10 - 0.4);
    const result = signFlipTest(differences, { resamples: 500, seed: 3 })!;
    assert.equal(result.test, 'monte-carlo-sign-flip');
    assert.equal(result.assignments, 500);
    assert.deepEqual(signFlipTest(differences, { resamples: 500, seed: 3 }), result);
    assert.notEqual(signFlipTest(differences, { resamples: 500, seed: 4 })!.pValue, result.pValue);
    assert.ok(result.pValue > 0 && result.pValue <= 1);
    const count = (result.pValue * 501) / 2;
    assert.ok(Math.abs(count - Math.round(count)) < 1e-9, `${result.pValue} is 2 · (count + 1)/(500 + 1)`);
    assert.equal(signFlipTest(differences.slice(0, 20), { resamples: 500, seed: 3 })!.test, 'exact-sign-flip');
  });

  test('Monte Carlo: the observed assignment counts (+1), so p is never 0; 0 differences give 1', () => {
    assert.equal(monteCarloSignFlip(Array(30).fill(1), 2000, 0).pValue, 2 / 2001);
    assert.equal(monteCarloSignFlip(Array(30).fill(1), 1, 0).pValue, 1);
    assert.equal(monteCarloSignFlip(Array(30).fill(0), 2000, 0).pValue, 1);
  });

  test('Monte Carlo is close to the exact p-value where both can be computed', () => {
    for (const c of oracle.sign_flip.filter((c) => differencesOf(c).length >= 8)) {
      const differences = differencesOf(c);
      const resamples = 20_000;
      const estimate = monteCarloSignFlip(differences, resamples, 1).pValue;
      // Four standard errors of twice a share of about p/2.
      const error = 4 * 2 * Math.sqrt(((c.p / 2) * (1 - c.p / 2)) / resamples) + 2 / resamples;
      assert.ok(Math.abs(estimate - c.p) <= error, `${differences}: ${estimate} is not about ${c.p}`);
    }
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
