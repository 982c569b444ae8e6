import { LRUCache } from './lru.js';

/**
 * Wraps a one-argument function so repeated calls with the same argument reuse the result.
 * @template A, R
 * @param {(argument: A) => R} fn
 * @param {{ max?: number }} [options]
 * @returns {((argument: A) => R) & { cache: LRUCache }}
 */
export function memoize(fn, { max = 100 } = {}) {
  const cache = new LRUCache({ max });
  const memoized = (argument) => {
    if (cache.has(argument)) return cache.get(argument);
    const result = fn(argument);
    cache.set(argument, result);
    return result;
  };
  memoized.cache = cache;
  return memoized;
}
