import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_DEMO_OUT, demoPolicy } from '../../../src/cli/commands/demo';
import { readRunIndex } from '../../../src/core/trajectory/runIndex';

const ROOT = join(__dirname, '..', '..', '..', '..');

function lines(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

test('the demo picks the configured model, or the bundled recordings when there is none', () => {
  assert.deepEqual(demoPolicy({}, '/x'), { spec: 'recorded:/x', configured: false });
  assert.deepEqual(demoPolicy({ ROLLOUT_MODEL: 'anthropic:claude-sonnet-4-5' }, '/x'), {
    spec: 'anthropic:claude-sonnet-4-5',
    configured: true,
  });
  assert.deepEqual(
    demoPolicy({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://localhost:8000/v1', OPENAI_MODEL: 'qwen' }, '/x'),
    { spec: 'openai:qwen@http://localhost:8000/v1', configured: true },
  );
});

test('what `npm run demo` writes into the checkout stays out of git and of the checks `npm test` runs', () => {
  const written = join(DEFAULT_DEMO_OUT, 'datasets', 'sft', 'README.md');
  const ignored = spawnSync('git', ['check-ignore', '--no-index', '-q', written], { cwd: ROOT });
  assert.equal(ignored.status, 0, `git does not ignore ${written}: prettier --check (npm run check) would read it`);
});

test('rollout demo validates, runs, grades, exports and fine-tunes on the bundled tasks end to end (real Docker, real trainer on CPU, the real CLI)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rollout-demo-'));
  const env = { ...process.env };
  for (const name of ['ROLLOUT_MODEL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[name];
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'demo', '--out', out], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(status, 0, output);
  assert.match(output, /re-issuing the actions of the bundled reference trajectories/);
  assert.match(output, /10 tasks: every gold patch resolves, every empty patch does not/);
  assert.match(output, /resolved 10\/20, mean reward 0\.500/);
  assert.match(
    output,
    /ok {4}flywheel and verifier .*DPO on \d+ preference pairs: \d+ steps; flywheel resolved rate by iteration \d\.\d\d → \d\.\d\d → \d\.\d\d; verifier on 2 held-out tasks: accuracy \d\.\d\d, best-of-N mean reward/,
    'the loop closes: collected, trained, served, collected again, twice; the verifier reported on tasks it did not see',
  );
  assert.match(
    output,
    /iteration {2}rollouts {2}resolved {2}rate {3}trained on {2}policy\n.*\n.* openai:flywheel-1@http.*\n.* openai:flywheel-2@http/,
  );

  const index = await readRunIndex(join(out, 'runs'));
  assert.equal(index.length, 20);
  assert.equal(index.filter((entry) => entry.resolved).length, 10);
  const sft = lines(join(out, 'datasets', 'sft', 'train.jsonl')) as {
    messages: unknown[];
    tools: unknown[];
    metadata: { reward: number };
  }[];
  assert.equal(sft.length, 10, 'one SFT conversation per solved task');
  assert.ok(sft.every((row) => row.metadata.reward === 1 && row.tools.length === 6));
  const dpo = lines(join(out, 'datasets', 'dpo', 'train.jsonl')) as {
    prompt: unknown[];
    chosen: unknown[];
    rejected: unknown[];
  }[];
  assert.equal(dpo.length, 10, 'one preference pair per task');
  assert.match(
    readFileSync(join(out, 'datasets', 'dpo', 'README.md'), 'utf8'),
    /rollout export --runs .* --format dpo/,
  );
});
