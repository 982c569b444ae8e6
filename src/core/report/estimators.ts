/**
 * The estimators behind the report's figures, as pure functions. Each one's formula and source is in
 * docs/metrics.md; the unit tests compare them with reference implementations run on the same inputs.
 */

/**
 * pass@k, the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code":
 * the chance that at least one of k attempts drawn without replacement from n (c of them correct) is correct,
 * 1 − C(n−c, k) / C(n, k), evaluated as a product so that large n cannot overflow.
 */
export function passAtK(n: number, c: number, k: number): number {
  checkCounts(n, c, k);
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/**
 * pass^k of τ-bench (Yao et al., 2024): the chance that all of k attempts drawn without replacement from n
 * (c of them correct) are correct, C(c, k) / C(n, k).
 */
export function passHatK(n: number, c: number, k: number): number {
  checkCounts(n, c, k);
  if (c < k) return 0;
  let allRight = 1;
  for (let i = 0; i < k; i++) allRight *= (c - i) / (n - i);
  return allRight;
}

function checkCounts(n: number, c: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || c < 0 || c > n || k < 1 || k > n)
    throw new RangeError(`pass@k needs integers 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k})`);
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The q-quantile of ascending `sorted` with linear interpolation between order statistics (Hyndman & Fan's
 * type 7, the default of R's `quantile` and NumPy's `percentile`).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/** Median, 90th percentile and mean of some values (type-7 quantiles); nulls when there are none. */
export interface Spread {
  median: number | null;
  p90: number | null;
  mean: number | null;
}

export function spread(values: readonly number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  return { median: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), mean: mean(values) };
}

/** Below this many discordant pairs McNemar's test is the exact binomial test, from here on the χ² approximation. */
export const MCNEMAR_EXACT_BELOW = 25;

export interface McNemarResult {
  /** Pairs where the first system resolved the task and the second did not. */
  onlyFirst: number;
  /** Pairs where the second resolved it and the first did not. */
  onlySecond: number;
  test: 'exact-binomial' | 'chi-square-continuity-corrected';
  /** The χ² statistic; absent for the exact test. */
  statistic?: number;
  pValue: number;
}

/**
 * McNemar's test of paired binary outcomes from the discordant counts b and c. Exact (two-sided binomial
 * test of b against Bin(b + c, ½)) below MCNEMAR_EXACT_BELOW discordant pairs; otherwise the χ² test with
 * Edwards' continuity correction, (|b − c| − 1)² / (b + c) on one degree of freedom.
 */
export function mcnemar(onlyFirst: number, onlySecond: number): McNemarResult {
  const discordant = onlyFirst + onlySecond;
  if (discordant < MCNEMAR_EXACT_BELOW)
    return {
      onlyFirst,
      onlySecond,
      test: 'exact-binomial',
      pValue: Math.min(1, 2 * binomialHalfCdf(Math.min(onlyFirst, onlySecond), discordant)),
    };
  // Not clamped at 0: for b = c the corrected difference is −1, squared, as statsmodels computes it.
  const statistic = (Math.abs(onlyFirst - onlySecond) - 1) ** 2 / discordant;
  return { onlyFirst, onlySecond, test: 'chi-square-continuity-corrected', statistic, pValue: chiSquare1Sf(statistic) };
}

/** P(X ≤ x) for X ~ Binomial(n, ½), summed exactly in doubles (n stays below MCNEMAR_EXACT_BELOW here). */
function binomialHalfCdf(x: number, n: number): number {
  let term = 0.5 ** n;
  let sum = term;
  for (let i = 1; i <= x; i++) {
    term *= (n - i + 1) / i;
    sum += term;
  }
  return sum;
}

const LOG_GAMMA_HALF = 0.5 * Math.log(Math.PI);

/**
 * The upper tail of χ² with one degree of freedom, P(X > x): the regularized upper incomplete gamma
 * Q(½, x/2), from its power series below x/2 = 1.5 and its continued fraction (modified Lentz) above.
 */
export function chiSquare1Sf(x: number): number {
  if (x <= 0) return 1;
  const z = x / 2;
  const a = 0.5;
  const prefactor = Math.exp(-z + a * Math.log(z) - LOG_GAMMA_HALF);
  if (z < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500 && Math.abs(term) > Math.abs(sum) * 1e-17; n++) {
      term *= z / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - prefactor * sum);
  }
  const tiny = 1e-300;
  let b = z + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return prefactor * h;
}
