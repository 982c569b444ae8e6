import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LRUCache } from '../src/index.js';

describe('LRUCache', () => {
  it('stores and returns values', () => {
    const cache = new LRUCache({ max: 3 });
    cache.set('a', 1).set('b', 2);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('b'), 2);
    assert.equal(cache.size, 2);
  });

  it('evicts the least recently set entry when full', () => {
    const cache = new LRUCache({ max: 2 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(cache.has('a'), false);
    assert.deepEqual(cache.keys(), ['c', 'b']);
  });

  it('setting an existing key refreshes it', () => {
    const cache = new LRUCache({ max: 2 });
    cache.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    assert.deepEqual(cache.keys(), ['c', 'a']);
    assert.equal(cache.get('a'), 10);
  });

  it('peek does not count as a use', () => {
    const cache = new LRUCache({ max: 2 });
    cache.set('a', 1).set('b', 2);
    assert.equal(cache.peek('a'), 1);
    cache.set('c', 3);
    assert.equal(cache.has('a'), false);
  });

  it('get of a missing key does not insert it', () => {
    const cache = new LRUCache({ max: 2 });
    cache.set('a', 1).set('b', 2);
    assert.equal(cache.get('missing'), undefined);
    assert.equal(cache.size, 2);
    assert.equal(cache.has('missing'), false);
    assert.deepEqual(cache.keys(), ['b', 'a']);
  });

  it('calls onEvict with the evicted entry', () => {
    const evicted = [];
    const cache = new LRUCache({ max: 1, onEvict: (key, value) => evicted.push([key, value]) });
    cache.set('a', 1).set('b', 2);
    assert.deepEqual(evicted, [['a', 1]]);
  });

  it('rejects a max that is not a positive integer', () => {
    assert.throws(() => new LRUCache({ max: 0 }), RangeError);
    assert.throws(() => new LRUCache({ max: 1.5 }), RangeError);
  });
});
