import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { trainerDir } from '../../../src/core/train/venv';
import { cpuRunner } from './helpers';

test(
  'the trainer pytest suite passes with real torch, transformers, peft and trl (CPU venv)',
  { timeout: 1_800_000 },
  async () => {
    const runner = await cpuRunner();
    const python = runner.description.replace(/^venv /, '');
    const output: string[] = [];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], {
        cwd: trainerDir(),
        env: { ...process.env, PYTHONPATH: trainerDir() },
      });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode ?? 1));
    });
    const text = output.join('');
    const summary = text.trim().split('\n').at(-1) ?? '';
    console.log(`pytest: ${summary}`);
    assert.equal(code, 0, text.slice(-6000));
    assert.match(summary, /^\d+ passed in /);
    assert.doesNotMatch(summary, /failed|skipped|error/);
  },
);
