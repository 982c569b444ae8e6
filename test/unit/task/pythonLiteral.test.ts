import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePythonLiteral, PythonLiteralError } from '../../../src/core/task/pythonLiteral';

describe('parsePythonLiteral', () => {
  test('reads repr() output of lists of dicts with single and double quotes', () => {
    const text = `[{'user': 'a', 'body': "it's \\"fine\\"\\n"}, {'user': 'b', 'n': -1.5e3, 'ok': True, 'x': None}]`;
    assert.deepEqual(parsePythonLiteral(text), [
      { user: 'a', body: `it's "fine"\n` },
      { user: 'b', n: -1500, ok: true, x: null },
    ]);
  });

  test('reads tuples, empty containers, unicode escapes, raw strings and unknown escapes', () => {
    assert.deepEqual(parsePythonLiteral(`(1, [], {}, '\\u00e9\\x41', r'\\d+', '\\d')`), [
      1,
      [],
      {},
      'éA',
      '\\d+',
      '\\d',
    ]);
  });

  test('reads triple-quoted strings spanning lines', () => {
    assert.equal(parsePythonLiteral(`'''a\nb'''`), 'a\nb');
  });

  test('rejects code and broken literals with the offset of the problem', () => {
    assert.throws(() => parsePythonLiteral(`__import__('os')`), PythonLiteralError);
    assert.throws(() => parsePythonLiteral(`['a', 'b'`), /offset 9/);
    assert.throws(() => parsePythonLiteral(`['a'] extra`), /unexpected text/);
  });
});
