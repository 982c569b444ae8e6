import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runToCompletion } from '../../../src/core/train/jobs';
import { trainerDir } from '../../../src/core/train/venv';
import { recordRuns } from '../../support/recordedRuns';
import { cpuRunner, tempDir, tinyModel } from './helpers';

const ROOT = dirname(dirname(trainerDir()));
const CLI = join(ROOT, 'dist', 'cli.js');

function exportRuns(runs: string, format: string, out: string): string {
  const result = spawnSync(process.execPath, [CLI, 'export', '--runs', runs, '--format', format, '--out', out], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(result.status, 0, result.stderr + result.stdout);
  const files = readdirSync(out).filter((name) => name.endsWith('.jsonl'));
  assert.equal(files.length, 1, `one dataset file in ${out}: ${files.join(', ')}`);
  return join(out, files[0]);
}

describe(
  '`rollout export` datasets load in the real Python trainer unchanged (CPU venv)',
  { timeout: 1_200_000 },
  () => {
    test('the sft export prepares with assistant-only labels and the dpo export trains a DPO step', async () => {
      const folder = tempDir('export');
      const runs = join(folder, 'runs');
      await recordRuns(runs);
      const runner = await cpuRunner();
      const model = await tinyModel(runner);

      const sft = exportRuns(runs, 'sft', join(folder, 'sft'));
      const prepared = await runToCompletion(runner, {
        command: 'prepare',
        args: ['--data', sft, '--base-model', model, '--out', join(folder, 'prepared')],
        paths: [],
      });
      const exported = readFileSync(sft, 'utf8').trim().split('\n').length;
      assert.ok(exported > 1);
      assert.equal(prepared.outputs.conversations, exported);
      assert.equal(prepared.outputs.examples, exported);
      assert.equal(prepared.outputs.skipped_unmaskable, 0);
      assert.equal(prepared.outputs.dropped_too_long, 0);
      assert.ok(
        (prepared.outputs.assistant_tokens as number) > 0 &&
          (prepared.outputs.assistant_tokens as number) < (prepared.outputs.tokens as number),
      );

      const dpo = exportRuns(runs, 'dpo', join(folder, 'dpo'));
      const trained = await runToCompletion(runner, {
        command: 'dpo',
        args: [
          '--data',
          dpo,
          '--base-model',
          model,
          '--out',
          join(folder, 'dpo-out'),
          '--device',
          'cpu',
          '--max-steps',
          '1',
          '--batch-size',
          '2',
        ],
        paths: [],
      });
      assert.equal(trained.outputs.steps, 1);
    });

    test('`rollout train --method dpo` trains on the DPO export of the bundled reference runs (what `rollout demo` exports)', async () => {
      const folder = tempDir('demo-dpo');
      const dpo = exportRuns(join(ROOT, 'tasks', 'examples'), 'dpo', join(folder, 'dpo'));
      const model = await tinyModel(await cpuRunner());
      const adapter = join(folder, 'adapter');
      // The demo's --max-length: the tiny model's tokenizer makes these runs 6k–13k tokens.
      const args = ['--data', dpo, '--base-model', model, '--out', adapter, '--device', 'cpu', '--max-length', '8192'];
      const result = spawnSync(
        process.execPath,
        [CLI, 'train', '--method', 'dpo', ...args, '--max-steps', '1', '--batch-size', '1'],
        { encoding: 'utf8', timeout: 1_000_000 },
      );
      const output = result.stdout + result.stderr;
      assert.equal(result.status, 0, output);
      const prepared = JSON.parse(/^prepared (\{.*\})$/m.exec(output)?.[1] ?? '{}') as Record<string, unknown>;
      assert.equal(prepared.pairs, 10, `every pair of the export is used: ${output}`);
      assert.equal(prepared.skipped, 0);
      assert.ok(existsSync(join(adapter, 'adapter', 'adapter_config.json')), output);
    });
  },
);
