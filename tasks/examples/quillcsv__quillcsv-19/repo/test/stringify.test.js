import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify, stringifyField } from '../src/index.js';

test('plain fields are written as they are', () => {
  assert.equal(stringify([['a', 1, true]]), 'a,1,true\r\n');
});

test('null and undefined are written as empty fields', () => {
  assert.equal(stringify([[null, undefined, 'x']]), ',,x\r\n');
});

test('fields with the delimiter or a line break are quoted', () => {
  assert.equal(stringifyField('London, UK'), '"London, UK"');
  assert.equal(stringifyField('two\nlines'), '"two\nlines"');
  assert.equal(stringifyField('a;b', { delimiter: ';' }), '"a;b"');
});

test('quotes inside a field are doubled', () => {
  assert.equal(stringifyField('said "hi"'), '"said ""hi"""');
});

test('parse reads what stringify writes for delimiters', () => {
  const rows = [['name', 'city'], ['Ada', 'London, UK']];
  assert.deepEqual(parse(stringify(rows)), rows);
});
