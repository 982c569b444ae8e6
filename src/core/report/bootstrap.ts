/**
 * Percentile bootstrap with a seeded generator, so that a report computed twice from the same runs gives the
 * same intervals. The generator is the Mersenne Twister (MT19937) seeded as NumPy's `RandomState(seed)`: the tests
 * recompute every interval in NumPy from the same draws. The Monte Carlo sign-flip test (signFlip.ts) draws its
 * signs from the same generator.
 */
import { mersenne } from 'pure-rand/generator/mersenne';
import { quantileSorted } from './estimators';

export interface BootstrapOptions {
  /** Resamples drawn (default 2,000: percentile intervals whose Monte Carlo error is far below their width). */
  resamples?: number;
  /** Seed of the generator (default 0). */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

export const DEFAULT_RESAMPLES = 2_000;
export const DEFAULT_SEED = 0;

export interface BootstrapInterval {
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
}

/**
 * The generator's 32-bit outputs as NumPy's `RandomState(seed).randint(0, 2**32, dtype=np.uint64)` gives them
 * (the full range needs no rejection, so each draw is one raw MT19937 output).
 */
export function words(seed: number): () => number {
  const generator = mersenne(seed >>> 0);
  return () => generator.next() >>> 0;
}

const TWO_TO_32 = 0x1_0000_0000;

/**
 * The bootstrap distribution of the mean of `values`: each resample draws values.length of them with replacement,
 * the index of a draw being floor(w · n / 2³²) for the next 32-bit output w. Sorted ascending.
 */
export function bootstrapMeans(values: readonly number[], resamples: number, seed: number): Float64Array {
  const n = values.length;
  const means = new Float64Array(resamples);
  // Every resample of identical values has their mean: nothing to draw (a category of one task, say).
  if (values.every((value) => value === values[0])) return means.fill(values[0]);
  const next = words(seed);
  const scale = n / TWO_TO_32;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(next() * scale)];
    means[r] = sum / n;
  }
  return means.sort();
}

/** The options with their defaults filled in. */
export function bootstrapSettings(options: BootstrapOptions = {}): Required<BootstrapOptions> {
  return {
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    seed: options.seed ?? DEFAULT_SEED,
    level: options.level ?? 0.95,
  };
}

/** The percentile interval of the mean; null for no values. */
export function bootstrapMeanInterval(
  values: readonly number[],
  options: BootstrapOptions = {},
): BootstrapInterval | null {
  if (values.length === 0) return null;
  const settings = bootstrapSettings(options);
  return percentileInterval(bootstrapMeans(values, settings.resamples, settings.seed), settings);
}

function percentileInterval(sortedMeans: Float64Array, settings: Required<BootstrapOptions>): BootstrapInterval {
  const tail = (1 - settings.level) / 2;
  return { low: quantileSorted(sortedMeans, tail)!, high: quantileSorted(sortedMeans, 1 - tail)!, ...settings };
}

export interface PairedBootstrap {
  /** Mean of the paired differences (first − second). */
  meanDifference: number;
  interval: BootstrapInterval;
}

/**
 * The paired bootstrap of Koehn (2004) on per-item differences: resample items, keep each item's pair together.
 * Its interval only: the p-value of a paired comparison is the sign-flip test's (signFlip.ts), which the bootstrap's
 * share of resamples beyond 0 overstates on few items.
 */
export function pairedBootstrap(
  differences: readonly number[],
  options: BootstrapOptions = {},
): PairedBootstrap | null {
  if (differences.length === 0) return null;
  const settings = bootstrapSettings(options);
  let sum = 0;
  for (const value of differences) sum += value;
  return {
    meanDifference: sum / differences.length,
    interval: percentileInterval(bootstrapMeans(differences, settings.resamples, settings.seed), settings),
  };
}
