/**
 * A run's patch as whole files: for each file it touches, the contents before (the run's base state) and after
 * (the patch applied by git itself), so an editor can show one diff per file instead of the patch text.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';
import { prepareCheckout } from '../sandbox/repoCheckout';
import type { RunMetadata } from './types';

const run = promisify(execFile);

/** One file a patch touches. A path is null on the side where the file does not exist (added or deleted). */
export interface PatchFile {
  oldPath: string | null;
  newPath: string | null;
  binary: boolean;
}

/** A touched file's contents on both sides; null where the file does not exist. Binary files have no text. */
export interface PatchFileVersions extends PatchFile {
  before: string | null;
  after: string | null;
}

/** Reads a file of the base state by its path in the repository; undefined when it is not there. */
export type BaseFileReader = (path: string) => Promise<string | undefined>;

/** Whether one file's section of a git diff is a binary file's (no text hunks: git's marker instead). */
export function isBinaryFileSection(section: string): boolean {
  return /^(GIT binary patch|Binary files .* differ)$/m.test(section);
}

/** The files of a git patch in patch order, with renames, additions, deletions and binary changes told apart. */
export function patchFiles(patch: string): PatchFile[] {
  const sections = patch.split(/^(?=diff --git )/m).filter((section) => section.startsWith('diff --git '));
  return sections.map((section) => {
    const header = /^diff --git a\/(.*) b\/(.*)$/m.exec(section);
    const line = (pattern: RegExp) => pattern.exec(section)?.[1];
    const added = /^new file mode /m.test(section) || line(/^--- (\/dev\/null)$/m) !== undefined;
    const deleted = /^deleted file mode /m.test(section) || line(/^\+\+\+ (\/dev\/null)$/m) !== undefined;
    const oldPath = line(/^rename from (.*)$/m) ?? line(/^--- a\/(.*)$/m) ?? header?.[1] ?? null;
    const newPath = line(/^rename to (.*)$/m) ?? line(/^\+\+\+ b\/(.*)$/m) ?? header?.[2] ?? null;
    return {
      oldPath: added ? null : oldPath,
      newPath: deleted ? null : newPath,
      binary: isBinaryFileSection(section),
    };
  });
}

/**
 * Every file of `patch` before and after it, the before side read through `readBase`. The patch is applied
 * by `git apply` to a scratch copy of the files it touches, so what is shown is what git makes of it; a patch
 * that does not apply to the base is an error naming the file and line git names.
 */
export async function patchFileVersions(patch: string, readBase: BaseFileReader): Promise<PatchFileVersions[]> {
  const files = patchFiles(patch);
  const scratch = await mkdtemp(join(tmpdir(), 'rollout-patch-'));
  try {
    await run('git', ['init', '--quiet', scratch]);
    const before = new Map<string, string>();
    for (const file of files) {
      if (file.oldPath === null || file.binary) continue;
      const content = await readBase(file.oldPath);
      if (content === undefined) throw new Error(`${file.oldPath} is not in the run's base state`);
      before.set(file.oldPath, content);
      const path = insideFolder(scratch, file.oldPath);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    const patchFile = join(scratch, '.git', 'run.patch');
    await writeFile(patchFile, patch);
    const textFiles = files.filter((file) => !file.binary);
    const excluded = files.filter((file) => file.binary).flatMap((file) => [file.oldPath, file.newPath]);
    if (textFiles.length > 0) {
      const exclude = excluded.filter((path): path is string => path !== null).map((path) => `--exclude=${path}`);
      await run('git', ['apply', '--whitespace=nowarn', ...exclude, patchFile], { cwd: scratch }).catch(
        (error: Error & { stderr?: string }) => {
          throw new Error(
            `the patch does not apply to the run's base state: ${(error.stderr ?? error.message).trim()}`,
          );
        },
      );
    }
    // Awaited here, so that the copy is removed only once every file has been read from it.
    return await Promise.all(
      files.map(async (file) => ({
        ...file,
        before: file.oldPath === null || file.binary ? null : (before.get(file.oldPath) ?? null),
        after: file.newPath === null || file.binary ? null : await appliedContent(scratch, file.newPath),
      })),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A patch's path inside `folder`; a path that leads out of it (`../`, absolute) is refused. */
function insideFolder(folder: string, path: string): string {
  const absolute = resolve(folder, path);
  const fromFolder = relative(folder, absolute);
  if (!fromFolder || fromFolder.split(sep)[0] === '..' || isAbsolute(fromFolder))
    throw new Error(`the patch names a path outside the repository: ${path}`);
  return absolute;
}

/**
 * A file as the applied patch left it; a symbolic link is its target, as git records it, and is never followed
 * (a link the agent made to a host path would otherwise show that host file).
 */
async function appliedContent(scratch: string, path: string): Promise<string> {
  const absolute = insideFolder(scratch, path);
  if ((await lstat(absolute)).isSymbolicLink()) return readlink(absolute);
  return readFile(absolute, 'utf8');
}

/**
 * Reads the base state of a recorded run from its repository on this machine: the source the run recorded
 * (`extra.repo`), prepared as the sandbox prepared it. Runs in an instance image (the repository lives only
 * in the image) and imported runs have none here.
 */
export async function runBaseReader(
  run: Pick<RunMetadata, 'run_id' | 'base_commit' | 'extra'>,
): Promise<BaseFileReader> {
  const repo = run.extra?.repo as { location?: unknown; commit?: unknown } | undefined;
  if (!repo || typeof repo.location !== 'string')
    throw new Error(
      `run ${run.run_id} names no repository on this machine (its base files are inside its image, or it was imported)`,
    );
  const checkout = await prepareCheckout({
    location: repo.location,
    ...(typeof repo.commit === 'string' ? { commit: repo.commit } : {}),
  });
  // A folder taken as it is has no commit: its base state is only known to be the run's when nothing changed since.
  if (typeof repo.commit !== 'string' && run.base_commit && checkout.baseCommit !== run.base_commit)
    throw new Error(`${repo.location} has changed since run ${run.run_id} started: its base state is gone`);
  const git = simpleGit(checkout.dir);
  return async (path) => git.show([`${checkout.baseCommit}:${path}`]).catch(() => undefined);
}

/**
 * `git apply` of a patch in a folder, all or nothing: when any hunk does not apply, no file changes and the
 * error is git's own, naming the file and line.
 */
export async function applyPatchToFolder(folder: string, patch: string): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'rollout-apply-'));
  try {
    const patchFile = join(scratch, 'run.patch');
    await writeFile(patchFile, patch);
    await run('git', ['apply', '--whitespace=nowarn', patchFile], { cwd: folder }).catch(
      (error: Error & { stderr?: string }) => {
        throw new Error(`the patch does not apply to ${folder}: ${(error.stderr ?? error.message).trim()}`);
      },
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
