/**
 * The sign-flip (paired permutation) test of a mean difference (Fisher 1935, *The Design of Experiments*, ch. III;
 * Good 2000, *Permutation Tests*). Under H0 each task's difference d_i is as likely to have either sign, so the
 * observed mean is set among the means of (±d_1, …, ±d_n) over every assignment of signs. Two-sided as
 * `scipy.stats.permutation_test(…, permutation_type='samples', alternative='two-sided')` defines it: twice the
 * smaller of the shares of assignments whose mean is at least / at most the observed one, at most 1
 * (test/fixtures/report/SOURCE.md: the tests compare it with scipy's).
 *
 * Flipping the tasks of a set F changes the sum by −2 · S_F, S_F = Σ_{i∈F} d_i; so an assignment's mean is at least
 * the observed one when S_F ≤ 0 and at most it when S_F ≥ 0, and only the sums S_F need computing.
 */
import { words } from './bootstrap';

/** Up to this many tasks every one of the 2ⁿ sign assignments is counted (2²⁰ sums: a few milliseconds). */
export const EXACT_SIGN_FLIP_MAX_TASKS = 20;

export interface SignFlipTest {
  /** Two-sided; never 0 (the observed assignment is always counted). */
  pValue: number;
  test: 'exact-sign-flip' | 'monte-carlo-sign-flip';
  /** Sign assignments counted: all 2ⁿ of them, or the random ones drawn (the observed one besides). */
  assignments: number;
}

/**
 * The exact test up to EXACT_SIGN_FLIP_MAX_TASKS differences; above, the Monte Carlo one with `resamples` draws
 * of the generator seeded with `seed` (the report's `--bootstrap` and `--seed`). Null for no differences.
 */
export function signFlipTest(
  differences: readonly number[],
  { resamples, seed }: { resamples: number; seed: number },
): SignFlipTest | null {
  if (differences.length === 0) return null;
  return differences.length <= EXACT_SIGN_FLIP_MAX_TASKS
    ? exactSignFlip(differences)
    : monteCarloSignFlip(differences, resamples, seed);
}

/**
 * |S_F| up to this (times the largest |d|, at least 1) counts as 0, a tie with the observed mean: a per-task mean
 * reward such as 1/3 is rounded, so sums equal in exact arithmetic differ in their last bits (by about n ε Σ|d|).
 * scipy's tolerance is 100 ε times the observed mean: 0 for a mean difference of 0 up to rounding, and below the
 * rounding for a small one, where rounding decides which ties it counts. Relative to the differences, far above
 * rounding and far below any difference of two rewards that differ.
 */
const TIE_TOLERANCE = 1e-9;

function tolerance(differences: readonly number[]): number {
  return TIE_TOLERANCE * differences.reduce((largest, d) => Math.max(largest, Math.abs(d)), 1);
}

/** Every sign assignment: S_F for all 2ⁿ subsets F, as the sums of the subsets of each half added pairwise. */
export function exactSignFlip(differences: readonly number[]): SignFlipTest {
  const tol = tolerance(differences);
  const half = differences.length >> 1;
  const lower = subsetSums(differences.slice(0, half));
  const upper = subsetSums(differences.slice(half));
  let notBelow = 0;
  let notAbove = 0;
  for (const a of upper)
    for (const b of lower) {
      const sum = a + b;
      if (sum <= tol) notBelow++;
      if (sum >= -tol) notAbove++;
    }
  const assignments = lower.length * upper.length;
  return { pValue: twoSided(notBelow, notAbove, assignments), test: 'exact-sign-flip', assignments };
}

/**
 * `resamples` random sign assignments: task i is flipped when the i-th 32-bit word of the resample is ≥ 2³¹.
 * Each count includes the observed assignment and is divided by resamples + 1 (as scipy does; Phipson & Smyth
 * 2010), so the p-value is a valid one however few the resamples, and never 0.
 */
export function monteCarloSignFlip(differences: readonly number[], resamples: number, seed: number): SignFlipTest {
  const tol = tolerance(differences);
  const next = words(seed);
  let notBelow = 1;
  let notAbove = 1;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (const d of differences) if (next() >= HALF_OF_2_TO_32) sum += d;
    if (sum <= tol) notBelow++;
    if (sum >= -tol) notAbove++;
  }
  return { pValue: twoSided(notBelow, notAbove, resamples + 1), test: 'monte-carlo-sign-flip', assignments: resamples };
}

const HALF_OF_2_TO_32 = 0x8000_0000;

function twoSided(notBelow: number, notAbove: number, total: number): number {
  return Math.min(1, (2 * Math.min(notBelow, notAbove)) / total);
}

/** sums[m] = the sum of the values whose bit is set in m. */
function subsetSums(values: readonly number[]): Float64Array {
  const sums = new Float64Array(2 ** values.length);
  values.forEach((value, i) => {
    const size = 2 ** i;
    for (let m = 0; m < size; m++) sums[size + m] = sums[m] + value;
  });
  return sums;
}
