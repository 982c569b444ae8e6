import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

test('adds numbers', () => {
  assert.equal(1 + 1, 2);
});

test('fails on purpose', () => {
  assert.equal(1 + 1, 3);
});

test('skipped test', { skip: 'not here' }, () => {});

test('todo test', { todo: true }, () => {});

describe('parser', () => {
  test('reads a number', () => {
    assert.equal(Number('42'), 42);
  });
  describe('nested group', () => {
    test('reads a string', () => {
      assert.equal(String(1), '1');
    });
    test('rejects garbage', () => {
      assert.throws(() => JSON.parse('{'));
      assert.equal('a', 'b');
    });
  });
});

test('parent with subtests', async (t) => {
  await t.test('child one', () => {});
  await t.test('child two', () => {});
});
