/**
 * `rollout eval` tells bad input (exit 2) from an infrastructure failure (exit 1), as its help says: a file that
 * cannot be read or holds nothing to evaluate is refused before any sandbox.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalCommand } from '../../../src/cli/commands/eval';

const TASKS = join(process.cwd(), 'test', 'fixtures', 'swe-bench', 'swe-bench-lite-sample.json');
const scratch = mkdtempSync(join(tmpdir(), 'rollout-eval-input-'));

function file(name: string, text: string): string {
  writeFileSync(join(scratch, name), text);
  return join(scratch, name);
}

async function exitOf(tasks: string, predictions: string): Promise<{ code: number; said: string }> {
  const said: string[] = [];
  const original = console.error;
  console.error = (...words: unknown[]) => said.push(words.join(' '));
  try {
    const args = ['--tasks', tasks, '--predictions', predictions, '--out', join(scratch, 'out')];
    const code = await evalCommand.run([...args, '--docker-host', 'tcp://127.0.0.1:9']);
    return { code, said: said.join('\n') };
  } finally {
    console.error = original;
  }
}

describe('rollout eval: bad input is exit 2, named', () => {
  const prediction = { instance_id: 'nope__nope-1', model_name_or_path: 'm', model_patch: 'diff' };
  const cases: [string, () => [string, string], RegExp][] = [
    ['a task file that does not exist', () => [join(scratch, 'none.jsonl'), file('p.jsonl', '')], /none\.jsonl/],
    ['an empty task file', () => [file('empty.jsonl', ''), file('p.jsonl', '')], /empty\.jsonl/],
    ['a predictions file that does not exist', () => [TASKS, join(scratch, 'none-p.jsonl')], /none-p\.jsonl/],
    ['a predictions file with no prediction', () => [TASKS, file('p0.jsonl', '')], /p0\.jsonl: .*no prediction/],
    [
      'predictions for tasks not in the task file',
      () => [TASKS, file('p1.jsonl', JSON.stringify(prediction))],
      /p1\.jsonl: predictions for tasks not in the task file: nope__nope-1/,
    ],
  ];
  for (const [what, files, words] of cases)
    test(what, async () => {
      const { code, said } = await exitOf(...files());
      assert.equal(code, 2, said);
      assert.match(said, words);
    });
});
