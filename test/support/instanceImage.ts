/**
 * Builds, offline, an image laid out as the SWE-bench harness lays out its per-instance images, from
 * test/fixtures/instance-images/stand-in (its Dockerfile says what the image holds and how the stand-in conda
 * environment is activated), and moves images between the engine and a registry.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** git in `dir` as the upstream project's author. */
export function git(dir: string, ...args: string[]): string {
  const identity = ['-c', 'user.name=upstream', '-c', 'user.email=upstream@example.invalid'];
  return execFileSync('git', ['-C', dir, ...identity, ...args], { encoding: 'utf8' }).trim();
}

/**
 * The example task's repository in `context/repo` with its history as benchmark images hold it: the base commit,
 * then the fix's commit (gold and test patches), the work tree at the fix. Returns both commits.
 */
export function exampleRepoWithFix(example: string, context: string): { repo: string; base: string; fix: string } {
  const repo = join(context, 'repo');
  cpSync(join(example, 'repo'), repo, { recursive: true });
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  const base = git(repo, 'rev-parse', 'HEAD');
  for (const patch of ['gold.patch', 'test.patch']) git(repo, 'apply', join(example, patch));
  git(repo, 'commit', '-q', '-am', 'the fix and its tests');
  return { repo, base, fix: git(repo, 'rev-parse', 'HEAD') };
}

/**
 * Builds `image` with the files of `repoDir`, committed, as its repository at /testbed, on `baseImage` (a
 * Debian image with python3, pytest and git), with no network. Returns that commit: the row's base_commit.
 */
export function buildInstanceImage(image: string, repoDir: string, baseImage: string): { baseCommit: string } {
  const context = mkdtempSync(join(tmpdir(), 'rollout-instance-image-'));
  try {
    cpSync(join(process.cwd(), 'test', 'fixtures', 'instance-images', 'stand-in'), context, { recursive: true });
    const repo = join(context, 'repo');
    cpSync(repoDir, repo, { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'upstream state at the base commit');
    const baseCommit = git(repo, 'rev-parse', 'HEAD');
    buildOffline(image, context, [`BASE_IMAGE=${baseImage}`]);
    return { baseCommit };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * `docker build` of `context` as `tag`, with no network and no build cache: a cached step's image is shared with
 * another test run's build of the same step, and that run's removal of its own image prunes it mid-build here
 * ("unknown parent image ID").
 */
export function buildOffline(tag: string, context: string, buildArgs: string[] = []): void {
  const args = buildArgs.flatMap((arg) => ['--build-arg', arg]);
  execFileSync('docker', ['build', '--quiet', '--no-cache', '--network', 'none', ...args, '-t', tag, context], {
    stdio: 'pipe',
  });
}

/** Pushes `image` to its registry and removes it here, so that a run must pull it. */
export function pushAndRemove(image: string): void {
  execFileSync('docker', ['push', '--quiet', image], { stdio: 'pipe' });
  removeImage(image);
}

export function removeImage(image: string): void {
  execFileSync('docker', ['image', 'rm', '--force', image], { stdio: 'pipe' });
}
