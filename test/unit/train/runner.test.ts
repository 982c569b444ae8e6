import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatRunnerEvent, lineSplitter, parseRunnerLine } from '../../../src/core/train/runner';
import { trainerDir, venvDir } from '../../../src/core/train/venv';
import { trainInvocation } from '../../../src/core/train/jobs';

describe('runner protocol', () => {
  test('JSON event lines parse; anything else is not an event', () => {
    assert.deepEqual(parseRunnerLine('{"event": "checkpoint", "step": 4, "path": "/x/checkpoint-4"}'), {
      event: 'checkpoint',
      step: 4,
      path: '/x/checkpoint-4',
    });
    assert.equal(parseRunnerLine('Loading weights: 100%'), null);
    assert.equal(parseRunnerLine('{"step": 4}'), null);
    assert.equal(parseRunnerLine('{"event": '), null);
  });

  test('progress reads as one human line', () => {
    const line = formatRunnerEvent({
      event: 'progress',
      step: 12,
      max_steps: 100,
      loss: 1.23456,
      lr: 0.0002,
      tokens_per_s: 1520.4,
      eta_s: 65,
      epoch: 0.5,
    });
    assert.equal(line, 'step 12/100  loss 1.2346  lr 2.0e-4  1520 tok/s  eta 1m05s');
    assert.equal(formatRunnerEvent({ event: 'error', kind: 'no_gpu', message: 'no GPU' }), 'error (no_gpu): no GPU');
  });

  test('chunks split into whole lines, the tail on end', () => {
    const lines: string[] = [];
    const splitter = lineSplitter((line) => lines.push(line));
    splitter.push('{"a":1}\n{"b"');
    splitter.push(':2}\r\npartial');
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
    splitter.end();
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', 'partial']);
  });

  test('a train job becomes runner arguments with absolute paths, and its paths to mount', () => {
    const invocation = trainInvocation({
      method: 'sft',
      data: 'data.jsonl',
      baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
      out: 'out',
      maxSteps: 10,
      learningRate: 1e-4,
    });
    assert.equal(invocation.command, 'sft');
    assert.deepEqual(invocation.args, [
      '--data',
      join(process.cwd(), 'data.jsonl'),
      '--base-model',
      'Qwen/Qwen2.5-0.5B-Instruct',
      '--out',
      join(process.cwd(), 'out'),
      '--max-steps',
      '10',
      '--lr',
      '0.0001',
    ]);
    assert.deepEqual(
      trainInvocation({
        method: 'pg',
        data: 'rl.jsonl',
        baseModel: 'm',
        out: 'o',
        device: 'cpu',
        beta: 0.05,
      }).args.slice(6),
      ['--device', 'cpu', '--beta', '0.05'],
    );
    assert.deepEqual(invocation.paths, [join(process.cwd(), 'out')]); // a hub id and a missing file are not mounted
  });
});

describe('trainer venv key', () => {
  for (const variant of ['cpu', 'cuda'] as const) {
    test(`matches setup-venv.sh --print-dir for ${variant} (one key, two implementations)`, () => {
      const script = spawnSync('bash', [join(trainerDir(), 'setup-venv.sh'), '--variant', variant, '--print-dir'], {
        encoding: 'utf8',
        env: { ...process.env, ROLLOUT_CACHE: '/tmp/rollout-cache-key-test' },
      });
      assert.equal(script.status, 0, script.stderr);
      const previous = process.env.ROLLOUT_CACHE;
      process.env.ROLLOUT_CACHE = '/tmp/rollout-cache-key-test';
      try {
        assert.equal(venvDir(variant), script.stdout.trim());
      } finally {
        if (previous === undefined) delete process.env.ROLLOUT_CACHE;
        else process.env.ROLLOUT_CACHE = previous;
      }
      assert.match(
        script.stdout.trim(),
        new RegExp(`^/tmp/rollout-cache-key-test/trainer-venv-${variant}-[0-9a-f]{16}$`),
      );
    });
  }
});
