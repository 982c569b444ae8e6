import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  applyPatchToFolder,
  patchFiles,
  patchFileVersions,
  runBaseReader,
} from '../../../src/core/trajectory/patchFiles';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** A repository at its base commit, and the patch a run made to it (taken by git from a changed copy). */
function repositoryWithPatch(root: string): { repo: string; commit: string; patch: string } {
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'pkg'), { recursive: true });
  writeFileSync(join(repo, 'calc.py'), 'def add(a, b):\n    return a - b\n');
  writeFileSync(join(repo, 'old_name.py'), 'VALUE = 1\n'.repeat(20));
  writeFileSync(join(repo, 'pkg', 'gone.txt'), 'to be deleted\n');
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'base');
  const commit = git(repo, 'rev-parse', 'HEAD').trim();
  writeFileSync(join(repo, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  git(repo, 'mv', 'old_name.py', 'new_name.py');
  writeFileSync(join(repo, 'pkg', 'added.py'), 'print("new")\n');
  git(repo, 'rm', '--quiet', 'pkg/gone.txt');
  git(repo, 'add', '-A');
  const patch = git(repo, 'diff', '--cached', '-M', commit);
  git(repo, 'reset', '--quiet', '--hard', commit);
  return { repo, commit, patch };
}

describe('a run patch as whole files (real git)', () => {
  let root: string;
  let fixture: ReturnType<typeof repositoryWithPatch>;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rollout-patchfiles-test-'));
    process.env.ROLLOUT_CACHE = join(root, 'cache');
    fixture = repositoryWithPatch(root);
  });
  after(() => {
    delete process.env.ROLLOUT_CACHE;
    rmSync(root, { recursive: true, force: true });
  });

  test('patchFiles tells modified, renamed, deleted, added and binary files apart', () => {
    assert.deepEqual(patchFiles(fixture.patch), [
      { oldPath: 'calc.py', newPath: 'calc.py', binary: false },
      { oldPath: 'old_name.py', newPath: 'new_name.py', binary: false },
      { oldPath: null, newPath: 'pkg/added.py', binary: false },
      { oldPath: 'pkg/gone.txt', newPath: null, binary: false },
    ]);
    const binary =
      'diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n';
    assert.deepEqual(patchFiles(binary), [{ oldPath: 'logo.png', newPath: 'logo.png', binary: true }]);
    assert.deepEqual(patchFiles(''), []);
  });

  test("each file's contents before (from the run's repository at its commit) and after (git apply)", async () => {
    const read = await runBaseReader({
      run_id: 'r1',
      extra: { repo: { location: fixture.repo, commit: fixture.commit } },
    });
    const versions = await patchFileVersions(fixture.patch, read);
    const byPath = new Map(versions.map((file) => [file.newPath ?? file.oldPath, file]));
    assert.equal(byPath.get('calc.py')?.before, 'def add(a, b):\n    return a - b\n');
    assert.equal(byPath.get('calc.py')?.after, 'def add(a, b):\n    return a + b\n');
    assert.equal(byPath.get('new_name.py')?.before, 'VALUE = 1\n'.repeat(20));
    assert.equal(byPath.get('new_name.py')?.after, 'VALUE = 1\n'.repeat(20));
    assert.deepEqual([byPath.get('pkg/added.py')?.before, byPath.get('pkg/added.py')?.after], [null, 'print("new")\n']);
    assert.deepEqual(
      [byPath.get('pkg/gone.txt')?.before, byPath.get('pkg/gone.txt')?.after],
      ['to be deleted\n', null],
    );
  });

  test('on a slow disk every file is read before the scratch copy the patch was applied to is removed', async () => {
    // The copy was removed as soon as the reads began, not when they ended: a read that came late found nothing.
    const fsPromises = createRequire(__filename)('node:fs/promises') as { readFile: typeof readFile };
    const { readFile: fastReadFile } = fsPromises;
    fsPromises.readFile = (async (...args: Parameters<typeof readFile>) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return fastReadFile(...args);
    }) as typeof readFile;
    try {
      const read = await runBaseReader({
        run_id: 'r1',
        extra: { repo: { location: fixture.repo, commit: fixture.commit } },
      });
      const versions = await patchFileVersions(fixture.patch, read);
      assert.equal(versions.find((file) => file.newPath === 'calc.py')?.after, 'def add(a, b):\n    return a + b\n');
    } finally {
      fsPromises.readFile = fastReadFile;
    }
  });

  test('a patch that does not fit the base state is an error naming the file', async () => {
    const read = async (path: string) => (path === 'calc.py' ? 'something else entirely\n' : undefined);
    const onlyCalc = fixture.patch.split(/^(?=diff --git )/m).find((section) => section.includes('calc.py'))!;
    await assert.rejects(patchFileVersions(onlyCalc, read), /does not apply to the run's base state: .*calc\.py/s);
  });

  test('a run that names no repository here (an instance image, an import) says so', async () => {
    await assert.rejects(runBaseReader({ run_id: 'r2' }), /run r2 names no repository on this machine/);
  });

  test('applyPatchToFolder applies the whole patch, or changes nothing and names the conflict', async () => {
    const copy = join(root, 'workspace');
    git(root, 'clone', '--quiet', fixture.repo, copy);
    await applyPatchToFolder(copy, fixture.patch);
    assert.equal(readFileSync(join(copy, 'calc.py'), 'utf8'), 'def add(a, b):\n    return a + b\n');
    assert.ok(existsSync(join(copy, 'new_name.py')) && !existsSync(join(copy, 'pkg', 'gone.txt')));

    const conflicted = join(root, 'conflicted');
    git(root, 'clone', '--quiet', fixture.repo, conflicted);
    writeFileSync(join(conflicted, 'calc.py'), 'def add(a, b):\n    return b\n');
    await assert.rejects(applyPatchToFolder(conflicted, fixture.patch), /does not apply to .*calc\.py/s);
    assert.ok(existsSync(join(conflicted, 'old_name.py')), 'no file changed');
    assert.ok(existsSync(join(conflicted, 'pkg', 'gone.txt')), 'no file changed');
  });
});
