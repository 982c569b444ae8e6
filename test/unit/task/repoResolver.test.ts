import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRepoSource } from '../../../src/core/task/repoResolver';
import type { Task } from '../../../src/core/task/task';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    encoding: 'utf8',
  }).trim();
}

function originRepo(): { dir: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-origin-'));
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'README'), 'hello\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  return { dir, commit: git(dir, 'rev-parse', 'HEAD') };
}

function taskFor(location: string, commit: string): Task {
  return {
    id: 'acme__widget-1',
    kind: 'swe-bench',
    repo: { name: 'acme/widget', location, commit },
    problemStatement: 'p',
    hints: '',
    testPatch: '',
    goldPatch: '',
    failToPass: [],
    passToPass: [],
  };
}

describe('repository resolution with real git', () => {
  test('clones into the cache once and reuses the clone, fetching a commit it lacks', async () => {
    const origin = originRepo();
    const cacheDir = mkdtempSync(join(tmpdir(), 'rollout-cache-'));
    const first = await resolveRepoSource(taskFor(origin.dir, origin.commit), { cacheDir });
    const clone = join(cacheDir, 'repos', 'acme__widget');
    assert.deepEqual(first, { location: clone, commit: origin.commit });
    writeFileSync(join(clone, 'marker'), 'kept');
    writeFileSync(join(origin.dir, 'README'), 'changed\n');
    git(origin.dir, 'commit', '-q', '-am', 'next');
    const next = git(origin.dir, 'rev-parse', 'HEAD');
    const second = await resolveRepoSource(taskFor(origin.dir, next), { cacheDir });
    assert.equal(second.location, clone);
    assert.ok(existsSync(join(clone, 'marker')), 'the cached clone was reused, not re-cloned');
    assert.equal(git(clone, 'cat-file', '-t', next), 'commit');
  });

  test('parallel resolutions clone once', async () => {
    const origin = originRepo();
    const cacheDir = mkdtempSync(join(tmpdir(), 'rollout-cache-'));
    const results = await Promise.all(
      [1, 2, 3].map(() => resolveRepoSource(taskFor(origin.dir, origin.commit), { cacheDir })),
    );
    assert.equal(new Set(results.map((result) => result.location)).size, 1);
  });

  test('--repos DIR uses DIR/owner__name and names the missing clone with the fix', async () => {
    const origin = originRepo();
    const reposDir = mkdtempSync(join(tmpdir(), 'rollout-repos-'));
    await assert.rejects(
      resolveRepoSource(taskFor('https://github.com/acme/widget.git', origin.commit), { reposDir }),
      new RegExp(`no local clone of acme/widget at ${join(reposDir, 'acme__widget')}\\n  fix: git clone`),
    );
    mkdirSync(join(reposDir, 'acme__widget'));
    execFileSync('git', ['clone', '-q', origin.dir, join(reposDir, 'acme__widget')]);
    assert.deepEqual(
      await resolveRepoSource(taskFor('https://github.com/acme/widget.git', origin.commit), { reposDir }),
      { location: join(reposDir, 'acme__widget'), commit: origin.commit },
    );
  });

  test('a task with a local path keeps it', async () => {
    const task: Task = { ...taskFor('/some/folder', ''), repo: { location: '/some/folder' } };
    assert.deepEqual(await resolveRepoSource(task), { location: '/some/folder', commit: undefined });
  });
});
