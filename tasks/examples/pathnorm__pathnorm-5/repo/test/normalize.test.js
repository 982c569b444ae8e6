import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize, join } from '../src/index.js';

test('collapses duplicate slashes and dot segments', () => {
  assert.equal(normalize('a//b/./c'), 'a/b/c');
});

test('resolves parent segments inside the path', () => {
  assert.equal(normalize('a/b/../c'), 'a/c');
  assert.equal(normalize('/srv/app/../www/index.html'), '/srv/www/index.html');
});

test('clamps parent segments at the root of absolute paths', () => {
  assert.equal(normalize('/../etc/passwd'), '/etc/passwd');
  assert.equal(normalize('/a/../../b'), '/b');
});

test('root stays root', () => {
  assert.equal(normalize('/'), '/');
  assert.equal(normalize('/..'), '/');
});

test('keeps a trailing slash', () => {
  assert.equal(normalize('a/b/'), 'a/b/');
  assert.equal(normalize('/a/b/c/../'), '/a/b/');
});

test('empty results are the current directory', () => {
  assert.equal(normalize(''), '.');
  assert.equal(normalize('a/..'), '.');
  assert.equal(normalize('./'), '.');
});

test('rejects input that is not a string', () => {
  assert.throws(() => normalize(undefined), TypeError);
});

test('join uses single slashes between segments', () => {
  assert.equal(join('assets/', '/img', 'logo.svg'), 'assets/img/logo.svg');
});

test('join ignores empty segments', () => {
  assert.equal(join('', 'a', '', 'b'), 'a/b');
  assert.equal(join(), '.');
});
