import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseLine, parseRecords } from '../src/index.js';

test('splits plain fields', () => {
  assert.deepEqual(parseLine('a,b,c'), ['a', 'b', 'c']);
});

test('keeps empty fields', () => {
  assert.deepEqual(parseLine('a,,c,'), ['a', '', 'c', '']);
});

test('quoted fields may contain the delimiter', () => {
  assert.deepEqual(parseLine('Ada,"London, UK",1815'), ['Ada', 'London, UK', '1815']);
});

test('an empty quoted field is an empty string', () => {
  assert.deepEqual(parseLine('a,"",b'), ['a', '', 'b']);
});

test('custom delimiter', () => {
  assert.deepEqual(parseLine('a;"b;c";d', { delimiter: ';' }), ['a', 'b;c', 'd']);
});

test('unterminated quote is a syntax error', () => {
  assert.throws(() => parseLine('a,"b'), SyntaxError);
});

test('parse accepts CRLF and skips blank lines', () => {
  assert.deepEqual(parse('a,b\r\n\r\nc,d\r\n'), [['a', 'b'], ['c', 'd']]);
});

test('parseRecords keys rows by the header', () => {
  assert.deepEqual(parseRecords('name,born\nAda,1815\nGrace,1906\n'), [
    { name: 'Ada', born: '1815' },
    { name: 'Grace', born: '1906' },
  ]);
});

test('parseRecords names a row with the wrong number of fields', () => {
  assert.throws(() => parseRecords('a,b\n1,2\n3\n'), /row 3 has 1 fields/);
});
