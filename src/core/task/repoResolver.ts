/**
 * Where a task's repository is read from: a local clone under `--repos DIR` (named `owner__name`), or a
 * clone made once into the cache and reused; task folders and local paths are used as they are.
 */

import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { cacheDir } from '../paths';
import type { RepoSource } from '../sandbox/sandbox';
import type { Task } from './task';

export interface RepoResolveOptions {
  /** Folder of local clones named `owner__name`; when set, nothing is cloned. */
  reposDir?: string;
  /** Cache root; defaults to $ROLLOUT_CACHE or ~/.cache/rollout-studio. Clones live in `<root>/repos/owner__name`. */
  cacheDir?: string;
}

export function cloneFolderName(repoName: string): string {
  return repoName.replace('/', '__');
}

/** In-flight clones by destination, so parallel workers clone a repository once. */
const clonesInFlight = new Map<string, Promise<void>>();

async function hasCommit(dir: string, commit: string): Promise<boolean> {
  try {
    await simpleGit(dir).raw(['cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

async function cloneOnce(url: string, destination: string): Promise<void> {
  if (existsSync(destination)) return;
  const pending = clonesInFlight.get(destination);
  if (pending) return pending;
  const cloning = (async () => {
    const partial = `${destination}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(join(destination, '..'), { recursive: true });
    try {
      await simpleGit().clone(url, partial, ['--no-checkout']);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw new Error(
        `could not clone ${url} into the cache: ${(error as Error).message.trim()}\n  fix: check the network, or clone it yourself and pass --repos DIR with DIR/${destination.split('/').pop()}`,
      );
    }
    // A clone appears under its final name only when complete, so a crash never leaves a half clone in use.
    await rename(partial, destination);
  })();
  clonesInFlight.set(destination, cloning);
  try {
    await cloning;
  } finally {
    clonesInFlight.delete(destination);
  }
}

export async function resolveRepoSource(task: Task, options: RepoResolveOptions = {}): Promise<RepoSource> {
  const { name, location, commit } = task.repo;
  if (!name) return { location, commit };
  if (options.reposDir) {
    const local = join(options.reposDir, cloneFolderName(name));
    if (!existsSync(local))
      throw new Error(`task ${task.id}: no local clone of ${name} at ${local}\n  fix: git clone ${location} ${local}`);
    if (commit && !(await hasCommit(local, commit)))
      throw new Error(`task ${task.id}: ${local} lacks commit ${commit}\n  fix: git -C ${local} fetch origin`);
    return { location: local, commit };
  }
  const cached = join(options.cacheDir ?? cacheDir(), 'repos', cloneFolderName(name));
  await cloneOnce(location, cached);
  if (commit && !(await hasCommit(cached, commit))) await simpleGit(cached).fetch(['origin']);
  return { location: cached, commit };
}
