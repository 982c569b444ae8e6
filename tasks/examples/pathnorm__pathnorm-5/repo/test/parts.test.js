import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, basename, extname } from '../src/index.js';

test('dirname of nested and top-level paths', () => {
  assert.equal(dirname('/srv/app/index.js'), '/srv/app');
  assert.equal(dirname('/index.js'), '/');
  assert.equal(dirname('index.js'), '.');
  assert.equal(dirname('a/b/'), 'a');
});

test('basename with and without a suffix', () => {
  assert.equal(basename('/srv/app/index.js'), 'index.js');
  assert.equal(basename('/srv/app/index.js', '.js'), 'index');
  assert.equal(basename('.js', '.js'), '.js');
});

test('extname takes the last dot and ignores dotfiles', () => {
  assert.equal(extname('archive.tar.gz'), '.gz');
  assert.equal(extname('.bashrc'), '');
  assert.equal(extname('Makefile'), '');
});
