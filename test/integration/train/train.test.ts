import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { train, TrainerJobError } from '../../../src/core/train/jobs';
import type { RunnerEvent } from '../../../src/core/train/runner';
import { cpuRunner, sftLines, tempDir, tinyModel } from './helpers';

describe(
  'rollout train driver with the real Python runner (CPU venv, real torch/peft/trl)',
  { timeout: 1_200_000 },
  () => {
    test('streams progress, stops cleanly on abort with a checkpoint, and a rerun resumes from it', async () => {
      const runner = await cpuRunner();
      const model = await tinyModel(runner);
      const folder = tempDir('sft');
      const data = join(folder, 'sft.jsonl');
      writeFileSync(data, sftLines(24));
      const out = join(folder, 'out');
      const job = {
        method: 'sft' as const,
        data,
        baseModel: model,
        out,
        device: 'cpu' as const,
        maxSteps: 400,
        batchSize: 2,
        learningRate: 5e-3,
        saveSteps: 1000,
      };

      const controller = new AbortController();
      const events: RunnerEvent[] = [];
      const cancelled = await train(runner, job, {
        signal: controller.signal,
        onEvent: (event) => {
          events.push(event);
          if (event.event === 'progress' && event.step === 3) controller.abort();
        },
      }).then(
        () => null,
        (error: unknown) => error,
      );
      assert.ok(cancelled instanceof TrainerJobError, String(cancelled));
      assert.equal(cancelled.kind, 'cancelled');
      assert.equal(cancelled.exitCode, 130);
      const checkpoint = events.find((event) => event.event === 'checkpoint');
      assert.ok(checkpoint && checkpoint.event === 'checkpoint', 'a cancelled run saves a checkpoint');
      assert.ok(checkpoint.step >= 3 && checkpoint.step < 400);
      assert.ok(existsSync(checkpoint.path));
      const progress = events.filter((event) => event.event === 'progress');
      for (const event of progress)
        assert.ok(
          event.event === 'progress' && event.loss > 0 && (event.tokens_per_s ?? 0) > 0 && event.eta_s !== null,
        );

      const resumedEvents: RunnerEvent[] = [];
      const result = await train(
        runner,
        { ...job, maxSteps: checkpoint.step + 2 },
        { onEvent: (event) => resumedEvents.push(event) },
      );
      const resume = resumedEvents.find((event) => event.event === 'resume');
      assert.ok(resume && resume.event === 'resume' && resume.checkpoint === checkpoint.path);
      assert.deepEqual(
        resumedEvents
          .filter((event) => event.event === 'progress')
          .map((event) => (event.event === 'progress' ? event.step : -1)),
        [checkpoint.step + 1, checkpoint.step + 2],
      );
      assert.equal(result.outputs.steps, checkpoint.step + 2);
      assert.ok(existsSync(join(result.outputs.adapter as string, 'adapter_model.safetensors')));
    });

    test('a bad dataset line fails with the file and line', async () => {
      const runner = await cpuRunner();
      const folder = tempDir('bad');
      const data = join(folder, 'sft.jsonl');
      writeFileSync(data, sftLines(2) + '{"messages": [{"role": "user", "content": "no answer"}]}\n');
      const error = await train(runner, {
        method: 'sft',
        data,
        baseModel: folder,
        out: join(folder, 'out'),
        device: 'cpu',
      }).catch((e: unknown) => e);
      assert.ok(error instanceof TrainerJobError);
      assert.equal(error.kind, 'bad_data');
      assert.match(error.message, new RegExp(`${data}:3: messages: no assistant turn to train on`));
    });
  },
);
