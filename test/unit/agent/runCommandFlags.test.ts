import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCommand } from '../../../src/cli/commands/demo';
import { runCommand } from '../../../src/cli/commands/run';
import type { CliCommand } from '../../../src/cli/commands/index';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');

async function runCaptured(command: CliCommand, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => err.push(parts.join(' '));
  try {
    return { code: await command.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('model settings on the command line', () => {
  test('rollout run and rollout demo list every knob in their help', async () => {
    for (const command of [runCommand, demoCommand]) {
      const { code, out } = await runCaptured(command, ['--help']);
      assert.equal(code, 0);
      for (const flag of [
        '--temperature',
        '--top-p',
        '--max-tokens',
        '--seed',
        '--stop',
        '--context-window',
        '--num-ctx',
        '--price-input',
        '--price-output',
        '--thinking-budget',
        '--no-stream',
        '--compaction',
      ])
        assert.ok(out.includes(flag), `${flag} in the help`);
    }
  });

  test('a bad value stops rollout run before anything runs, naming the flag (exit 2)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-flags-'));
    const base = ['--tasks', EXAMPLES, '--out', out, '--policy', 'openai:m@http://127.0.0.1:9/v1'];
    const hot = await runCaptured(runCommand, [...base, '--temperature', '9']);
    assert.equal(hot.code, 2);
    assert.equal(hot.err, 'rollout run: --temperature must be at most 2, got 9');
    const strategy = await runCaptured(runCommand, [...base, '--compaction', 'forget']);
    assert.equal(strategy.code, 2);
    assert.match(strategy.err, /--compaction must be one of sliding-window, summarize, got 'forget'/);
  });
});
