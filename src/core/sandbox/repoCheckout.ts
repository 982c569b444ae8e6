import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { cacheDir } from '../paths';
import type { RepoSource } from './sandbox';

/** A repository prepared on the host at its base state, with a one-commit history that diffs are taken against. */
export interface PreparedCheckout {
  dir: string;
  /** The commit in `dir` that holds the base state. */
  baseCommit: string;
}

const BASE_COMMIT_IDENTITY = [
  'user.name=rollout-studio',
  'user.email=base@rollout-studio.invalid',
  'commit.gpgsign=false',
];

const inFlight = new Map<string, Promise<PreparedCheckout>>();

/** Prepares (once, then from the cache) the source's files at its commit, whatever the source is. */
export function prepareCheckout(source: RepoSource): Promise<PreparedCheckout> {
  const key = checkoutKey(source);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = prepare(source, join(cacheDir(), 'checkouts', key));
    inFlight.set(key, pending);
    pending.catch(() => inFlight.delete(key));
  }
  return pending;
}

function isUrl(location: string): boolean {
  return /^(https?|ssh|git|file):\/\//.test(location) || /^[\w.-]+@[\w.-]+:/.test(location);
}

function checkoutKey(source: RepoSource): string {
  const hash = createHash('sha256');
  if (isUrl(source.location)) {
    hash.update(`url:${source.location}@${source.commit ?? 'HEAD'}`);
  } else {
    const dir = resolve(source.location);
    hash.update(`path:${dir}@${source.commit ?? ''}`);
    // A plain folder (or a working tree taken as it is) has no commit to name its state: its files do.
    if (!source.commit) hashTreeState(dir, hash);
  }
  return hash.digest('hex').slice(0, 16);
}

function hashTreeState(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === '.git') continue;
    const path = join(dir, name);
    const stat = lstatSync(path);
    const link = stat.isSymbolicLink() ? readlinkSync(path) : '';
    hash.update(`${name}:${stat.mode}:${stat.size}:${stat.mtimeMs}:${link}\n`);
    if (stat.isDirectory()) hashTreeState(path, hash);
  }
}

async function prepare(source: RepoSource, target: string): Promise<PreparedCheckout> {
  if (existsSync(join(target, '.git'))) {
    return { dir: target, baseCommit: (await simpleGit(target).revparse(['HEAD'])).trim() };
  }
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await copySourceFiles(source, staging);
    rmSync(join(staging, '.git'), { recursive: true, force: true });
    const git = simpleGit(staging, { config: BASE_COMMIT_IDENTITY });
    await git.init(['--quiet', '--initial-branch=main']);
    await git.add(['--all', '--force', '.']);
    await git.commit('base', undefined, { '--allow-empty': null, '--quiet': null });
    const baseCommit = (await git.revparse(['HEAD'])).trim();
    renameSync(staging, target);
    return { dir: target, baseCommit };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `cannot prepare repository ${source.location}${source.commit ? `@${source.commit}` : ''}: ${(error as Error).message}`,
    );
  }
}

async function copySourceFiles(source: RepoSource, into: string): Promise<void> {
  const local = !isUrl(source.location);
  if (local && !existsSync(source.location)) throw new Error(`no such folder: ${resolve(source.location)}`);
  if (local && !source.commit) {
    // Links are copied as they are: a relative link made absolute would point into the host's folder.
    const filter = (path: string) => !path.endsWith('/.git');
    cpSync(source.location, into, { recursive: true, verbatimSymlinks: true, filter });
    return;
  }
  const origin = local ? resolve(source.location) : await mirror(source.location);
  await simpleGit().clone(origin, into, ['--quiet', '--no-checkout', ...(local ? ['--shared'] : [])]);
  await simpleGit(into).checkout(['--quiet', '--force', source.commit ?? 'HEAD']);
}

/** Clones a remote repository once into the cache; later tasks on the same repository reuse it. */
async function mirror(url: string): Promise<string> {
  const dir = join(cacheDir(), 'repos', createHash('sha256').update(url).digest('hex').slice(0, 16));
  if (!existsSync(dir)) {
    mkdirSync(join(cacheDir(), 'repos'), { recursive: true });
    await simpleGit().clone(url, `${dir}.partial`, ['--quiet', '--mirror']);
    renameSync(`${dir}.partial`, dir);
  }
  return dir;
}
