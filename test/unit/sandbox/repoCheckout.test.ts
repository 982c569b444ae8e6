import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareCheckout } from '../../../src/core/sandbox/repoCheckout';

describe('prepareCheckout of a plain folder with links', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-checkout-test-'));
  const folder = join(scratch, 'folder');
  const cacheBefore = process.env.ROLLOUT_CACHE;

  before(() => {
    process.env.ROLLOUT_CACHE = join(scratch, 'cache');
    mkdirSync(join(folder, 'pkg'), { recursive: true });
    writeFileSync(join(folder, 'pkg', 'mod.py'), 'VALUE = 1\n');
    symlinkSync('pkg/mod.py', join(folder, 'link.py'));
    symlinkSync('..', join(folder, 'pkg', 'up'));
  });
  after(() => {
    if (cacheBefore === undefined) delete process.env.ROLLOUT_CACHE;
    else process.env.ROLLOUT_CACHE = cacheBefore;
    rmSync(scratch, { recursive: true, force: true });
  });

  test('keeps each link as it is, also one to a parent folder', async () => {
    const { dir } = await prepareCheckout({ location: folder });
    assert.equal(readlinkSync(join(dir, 'link.py')), 'pkg/mod.py');
    assert.equal(readlinkSync(join(dir, 'pkg', 'up')), '..');
  });

  test("a link's new target is a new state of the folder", async () => {
    const first = await prepareCheckout({ location: folder });
    rmSync(join(folder, 'link.py'));
    symlinkSync('pkg/up/pkg/mod.py', join(folder, 'link.py'));
    const second = await prepareCheckout({ location: folder });
    assert.notEqual(second.dir, first.dir);
    assert.equal(readlinkSync(join(second.dir, 'link.py')), 'pkg/up/pkg/mod.py');
  });
});
