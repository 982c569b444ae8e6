import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';
import { TaskCatalog } from '../../../src/core/report/catalog';
import { collectRunFacts } from '../../../src/core/report/collect';

const SOLVED_LOG = join(
  packageRoot(),
  'tasks',
  'examples',
  'pagekit__pagekit-14',
  'reference',
  'solved',
  'trajectory.jsonl',
);

/** An output folder holding one run folder, run-1, with a copy of an example's recorded run. */
function outputFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'rollout-report-collect-'));
  mkdirSync(join(folder, 'run-1'));
  copyFileSync(SOLVED_LOG, join(folder, 'run-1', 'trajectory.jsonl'));
  return folder;
}

describe('each run counts once, however the paths given overlap', () => {
  test('a log under two paths given (a folder and its run, a folder twice, a link to it) is read once', async () => {
    const folder = outputFolder();
    const link = join(mkdtempSync(join(tmpdir(), 'rollout-report-link-')), 'out');
    symlinkSync(folder, link);
    for (const paths of [
      [folder, join(folder, 'run-1')],
      [folder, folder],
      [folder, link],
    ]) {
      const { facts, problems } = await collectRunFacts(paths, new TaskCatalog());
      assert.equal(facts.length, 1, paths.join(' '));
      assert.deepEqual(problems, [], paths.join(' '));
    }
  });

  test('two logs of one run (a copied run folder) count once; the copy is named with the log that counts', async () => {
    const folder = outputFolder();
    cpSync(join(folder, 'run-1'), join(folder, 'run-1-copy'), { recursive: true });
    const { facts, problems } = await collectRunFacts([folder], new TaskCatalog());
    assert.deepEqual(
      facts.map((run) => run.path),
      [join(folder, 'run-1', 'trajectory.jsonl')],
    );
    assert.deepEqual(problems, [
      {
        path: join(folder, 'run-1-copy', 'trajectory.jsonl'),
        message: `run ${facts[0].runId} is also in ${facts[0].path}: counted once, from there`,
      },
    ]);
  });
});
