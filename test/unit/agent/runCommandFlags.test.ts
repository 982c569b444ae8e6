import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCommand } from '../../../src/cli/commands/demo';
import { flywheelCommand } from '../../../src/cli/commands/flywheel';
import { runCommand } from '../../../src/cli/commands/run';
import { runCaptured } from '../../support/cliCapture';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');

describe('model settings on the command line', () => {
  test('rollout run, rollout demo and rollout flywheel list every knob in their help', async () => {
    for (const command of [runCommand, demoCommand, flywheelCommand]) {
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

  test('rollout flywheel checks the same settings before anything runs (exit 2)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-flags-'));
    const args = ['--tasks', EXAMPLES, '--out', out, '--policy', 'openai:m@http://127.0.0.1:9/v1', '--base-model', 'm'];
    const result = await runCaptured(flywheelCommand, [...args, '--top-p', '1.5']);
    assert.equal(result.code, 2);
    assert.match(result.err, /^rollout flywheel: --top-p must be at most 1, got 1\.5/);
  });
});
