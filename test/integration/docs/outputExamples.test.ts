import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { outputBlocks, updateOutputExamples } from '../../../scripts/docs-examples';
import { packageRoot } from '../../../src/core/paths';
import { docFiles } from '../../support/documentedCommands';

/**
 * Docs as tests, the examples: every block of output the docs show under an `<!-- output: rollout … -->` marker is
 * what that command prints now (the real CLI, dist/cli.js, on the bundled tasks and their reference recordings);
 * `npm run docs:examples` rewrites them.
 */

const ROOT = packageRoot();

test('the example output in README.md and docs/*.md is what the CLI prints now (npm run docs:examples changes nothing)', () => {
  const blocks = docFiles().flatMap((file) => outputBlocks(file, readFileSync(join(ROOT, file), 'utf8')));
  assert.ok(
    blocks.some((block) => block.command.startsWith('rollout report ')),
    'the docs show rollout report output',
  );
  assert.deepEqual(updateOutputExamples(docFiles(), true), []);
});

test('a doc whose example output was typed is named by file and line, and the script rewrites it with what the command prints', () => {
  const fixture = 'test/fixtures/docs/stale-output.md';
  assert.deepEqual(updateOutputExamples([fixture], true), [`${fixture}:3`], 'the check names the stale block');
  const copy = join(mkdtempSync(join(tmpdir(), 'rollout-docs-examples-')), 'stale-output.md');
  copyFileSync(join(ROOT, fixture), copy);
  assert.deepEqual(updateOutputExamples([copy], false), [`${copy}:3`]);
  const [block] = outputBlocks(copy, readFileSync(copy, 'utf8'));
  assert.match(block.shown, /^Leaderboard by policy: 20 runs/);
  assert.match(block.shown, /^1 {2}reference:solved {4}10 {4}10 {5}100\.0% \[100\.0%, 100\.0%\]/m);
  assert.deepEqual(updateOutputExamples([copy], true), [], 'a rewritten doc is current');
});
