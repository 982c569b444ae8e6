import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandAliases, commands } from '../../../src/cli/commands/index';
import { packageRoot } from '../../../src/core/paths';
import { documentedCommands, docFiles, type DocumentedCommand } from '../../support/documentedCommands';

/**
 * Docs as tests, the check: every `rollout …` and `npm run …` command the docs show, in a fenced shell block or
 * inline code, names a command that exists and only options that command declares (its `--help` describes every
 * one, which test/unit/cli/grammar.test.ts checks) or `--help`, which every command answers. The fenced ones are
 * also run, by test/integration/docs.
 */

const ROOT = packageRoot();

async function helpOf(name: string): Promise<string> {
  const printed: string[] = [];
  const log = console.log;
  console.log = (text: string) => printed.push(text);
  try {
    await (await commands[name]()).run(['--help']);
  } finally {
    console.log = log;
  }
  return printed.join('\n');
}

/** What is wrong with each documented command: an unknown command, script or option. */
export async function commandProblems(documented: DocumentedCommand[]): Promise<string[]> {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const helps = new Map<string, string>();
  const problems: string[] = [];
  for (const { where, text } of documented) {
    const [tool, given, script] = text.split(/\s+/);
    const name = commandAliases[given] ?? given;
    if (tool === 'npm') {
      // `npm run X` in prose stands for any script.
      if (!(script in scripts) && script !== 'X') problems.push(`${where}: \`${text}\`: no npm script '${script}'`);
      continue;
    }
    if (name === '--version' || name === '--help' || name === undefined) continue;
    if (!(name in commands)) {
      problems.push(`${where}: \`${text}\`: no command 'rollout ${name}'`);
      continue;
    }
    if (!helps.has(name)) helps.set(name, await helpOf(name));
    const help = helps.get(name) as string;
    for (const [flag] of text.matchAll(/(?<![\w-])--[a-z][\w-]*/g))
      if (flag !== '--help' && !new RegExp(`${flag}(?![\\w-])`).test(help))
        problems.push(`${where}: \`${text}\`: rollout ${name} has no ${flag}`);
  }
  return problems;
}

test('every rollout and npm run command in README.md and docs/*.md names a command and options that exist', async () => {
  const documented = docFiles().flatMap((file) => documentedCommands(file, readFileSync(join(ROOT, file), 'utf8')));
  assert.ok(documented.length > 40, `found ${documented.length} documented commands`);
  for (const name of ['export', 'train', 'run', 'worker'])
    assert.ok(
      documented.some(({ text }) => text.startsWith(`rollout ${name} `)),
      `the docs show rollout ${name} with options`,
    );
  assert.deepEqual(await commandProblems(documented), []);
});

test('a doc with a command that does not work fails the docs test, each problem named by file and line', async () => {
  const file = 'test/fixtures/docs/broken-commands.md';
  const documented = documentedCommands(file, readFileSync(join(ROOT, file), 'utf8'));
  assert.deepEqual(
    documented.map(({ text }) => text.split(' ').slice(0, 2).join(' ')),
    ['rollout train', 'rollout exprot', 'npm run', 'rollout doctor', 'npm run', 'rollout select', 'rollout export'],
  );
  assert.deepEqual(await commandProblems(documented), [
    `${file}:4: \`rollout train --method sft --data d.jsonl --grad-accumulation 4 --out ft/\`: rollout train has no --grad-accumulation`,
    `${file}:5: \`rollout exprot --runs runs/ --format sft --out data/\`: no command 'rollout exprot'`,
    `${file}:6: \`npm run nosuch\`: no npm script 'nosuch'`,
    `${file}:9: \`rollout select --runs a b --verifier v --top-k 2\`: rollout select has no --top-k`,
  ]);
});
