import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { shellQuote } from '../../src/core/shellWords';

const WORDS = [
  'plain',
  'a/b.c:d=e@f%g+h,i-j',
  '',
  "it's",
  'two words',
  '$HOME',
  '`id`',
  '*.py',
  '~',
  'a\nb',
  '"\\',
  '-n',
];

describe('shellQuote', () => {
  test('every word comes back from a real shell as it was, one word each', () => {
    const script = `printf '%s\\0' ${WORDS.map(shellQuote).join(' ')}`;
    const words = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1);
    assert.deepEqual(words, WORDS);
  });

  test('leaves words the shell reads back unchanged as they are, and quotes the rest', () => {
    assert.equal(shellQuote('src/a_b.py'), 'src/a_b.py');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), "''");
  });
});
