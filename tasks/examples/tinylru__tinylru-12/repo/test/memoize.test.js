import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoize } from '../src/index.js';

function countingSquare() {
  const calls = [];
  const square = (n) => {
    calls.push(n);
    return n * n;
  };
  return { square, calls };
}

describe('memoize', () => {
  it('computes each argument once', () => {
    const { square, calls } = countingSquare();
    const fast = memoize(square);
    assert.equal(fast(3), 9);
    assert.equal(fast(3), 9);
    assert.deepEqual(calls, [3]);
  });

  it('caches undefined results', () => {
    let calls = 0;
    const fast = memoize(() => {
      calls += 1;
      return undefined;
    });
    fast('x');
    fast('x');
    assert.equal(calls, 1);
  });

  it('forgets arguments beyond max', () => {
    const { square, calls } = countingSquare();
    const fast = memoize(square, { max: 1 });
    fast(1);
    fast(2);
    fast(1);
    assert.deepEqual(calls, [1, 2, 1]);
  });
});
