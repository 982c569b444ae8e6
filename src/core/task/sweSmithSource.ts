/**
 * SWE-smith task instances as released (SWE-bench/SWE-smith and its per-language sets): a bug patch on a
 * repository whose image (`image_name`) holds it clean at `/testbed`. The task starts from the bug, as SWE-smith's
 * branch of the same name does: the bug commit itself when the image has it, else the bug patch applied and
 * committed. The fix is the bug patch in reverse.
 */

import { SWE_BENCH_ACTIVATION, TESTBED } from './instanceImages';
import { reversePatch } from './patchReverse';
import { loadRows, optionalString, requiredString, stringListField, type Row } from './rows';
import { FieldError, type Task, type TaskLoadResult, type TaskSource } from './task';

/** `swesmith/<owner>__<name>.<commit8>`: SWE-smith's mirror of a repository at one commit. */
const MIRROR_REPO = /^(?:[\w.-]+\/)?([\w.-]+?)__([\w.-]+)\.([0-9a-f]{7,40})$/;

/** Commits the bug as SWE-smith's own branch does, or checks out that commit when the image already holds it. */
function startFromBug(baseCommit: string | undefined): string {
  const commitBug =
    "git apply --index --whitespace=nowarn && git -c user.name=swesmith -c user.email=swesmith@swesmith.ai -c commit.gpgsign=false commit -q --no-verify -m 'Bug Patch'";
  if (!baseCommit) return commitBug;
  return `if git cat-file -e ${baseCommit}^{commit} 2>/dev/null; then git checkout -q ${baseCommit}; else ${commitBug}; fi`;
}

export function sweSmithRowToTask(row: Row): Task {
  const id = requiredString(row, 'instance_id');
  const mirror = requiredString(row, 'repo');
  const parts = MIRROR_REPO.exec(mirror);
  if (!parts)
    throw new FieldError('repo', `'${mirror}' is not a SWE-smith repository (swesmith/<owner>__<name>.<commit>)`);
  const [, owner, name, commit] = parts;
  const bugPatch = requiredString(row, 'patch');
  const baseCommit = optionalString(row, 'base_commit');
  if (baseCommit !== undefined && !/^[0-9a-f]{7,40}$/i.test(baseCommit))
    throw new FieldError('base_commit', `'${baseCommit}' is not a commit hash`);
  return {
    id,
    kind: 'swe-bench',
    dataset: 'swe-smith',
    repo: {
      name: `${owner}/${name}`,
      location: `https://github.com/${mirror.includes('/') ? mirror : `swesmith/${mirror}`}.git`,
      commit: baseCommit,
    },
    problemStatement: requiredString(row, 'problem_statement'),
    hints: '',
    language: optionalString(row, 'language')?.toLowerCase() ?? 'python',
    // SWE-smith's test specifications are per repository and commit.
    version: commit,
    testPatch: '',
    goldPatch: reversePatch(bugPatch) ?? '',
    failToPass: stringListField(row, 'FAIL_TO_PASS', { required: true }),
    passToPass: stringListField(row, 'PASS_TO_PASS', { required: true }),
    instance: {
      image: requiredString(row, 'image_name'),
      workdir: TESTBED,
      activate: SWE_BENCH_ACTIVATION,
      setup: startFromBug(baseCommit),
      hiddenHistory: 'all',
      setupInput: bugPatch.endsWith('\n') ? bugPatch : `${bugPatch}\n`,
    },
  };
}

export class SweSmithSource implements TaskSource {
  readonly format = 'swe-smith';

  load(path: string): Promise<TaskLoadResult> {
    return loadRows(path, sweSmithRowToTask);
  }
}
