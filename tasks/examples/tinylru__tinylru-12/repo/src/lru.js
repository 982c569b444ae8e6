/**
 * A cache that holds at most `max` entries and evicts the least recently used one when full.
 * A Map iterates in insertion order, so the first key is always the least recently used.
 */
export class LRUCache {
  #entries = new Map();

  /**
   * @param {{ max: number, onEvict?: (key: unknown, value: unknown) => void }} options
   */
  constructor({ max, onEvict } = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    this.max = max;
    this.onEvict = onEvict;
  }

  get size() {
    return this.#entries.size;
  }

  has(key) {
    return this.#entries.has(key);
  }

  /** The value for `key` without counting as a use. */
  peek(key) {
    return this.#entries.get(key);
  }

  /** The value for `key`; marks the entry as the most recently used. */
  get(key) {
    return this.#entries.get(key);
  }

  set(key, value) {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.max) this.#evictLeastRecentlyUsed();
    return this;
  }

  delete(key) {
    return this.#entries.delete(key);
  }

  clear() {
    this.#entries.clear();
  }

  /** Keys from the most to the least recently used. */
  keys() {
    return [...this.#entries.keys()].reverse();
  }

  #evictLeastRecentlyUsed() {
    const [key, value] = this.#entries.entries().next().value;
    this.#entries.delete(key);
    this.onEvict?.(key, value);
  }
}
