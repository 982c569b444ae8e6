import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import {
  parseTrainingFlags,
  TRAINING_FLAGS,
  TRAINING_OPTIONS,
  trainingArgs,
  trainingOptionsFor,
  trainingOptionsFrom,
  TrainingOptionError,
} from '../../../src/core/train/options';

describe('training options: one table for the CLI, VS Code, the demo and the runner', () => {
  const line =
    '--max-length 8192 --truncation drop --lora-r 32 --lora-alpha 64 --lora-dropout 0.05 --lora-targets q_proj,v_proj ' +
    '--epochs 2 --lr 1e-4 --lr-scheduler cosine --grad-accum 4 --beta 0.2 --padding-free on --gradient-checkpointing off';

  test('a line of flags parses into options and back into the runner flags, unchanged', () => {
    const options = parseTrainingFlags(line);
    assert.deepEqual(options, {
      maxLength: 8192,
      truncation: 'drop',
      loraR: 32,
      loraAlpha: 64,
      loraDropout: 0.05,
      loraTargets: 'q_proj,v_proj',
      epochs: 2,
      learningRate: 1e-4,
      lrScheduler: 'cosine',
      gradAccum: 4,
      beta: 0.2,
      paddingFree: 'on',
      gradientCheckpointing: 'off',
    });
    assert.deepEqual(trainingArgs('dpo', { ...options, paddingFree: undefined }), [
      '--epochs',
      '2',
      '--grad-accum',
      '4',
      '--lr',
      '0.0001',
      '--lr-scheduler',
      'cosine',
      '--max-length',
      '8192',
      '--truncation',
      'drop',
      '--lora-r',
      '32',
      '--lora-alpha',
      '64',
      '--lora-dropout',
      '0.05',
      '--lora-targets',
      'q_proj,v_proj',
      '--beta',
      '0.2',
      '--gradient-checkpointing',
      'off',
    ]);
  });

  test('every option is a flag of the same name on every command that takes them', () => {
    const values = parseArgs({ args: ['--lora-r', '8', '--advantage', 'turn'], options: TRAINING_FLAGS }).values;
    assert.deepEqual(trainingOptionsFrom(values), { loraR: 8, advantage: 'turn' });
    assert.equal(Object.keys(TRAINING_FLAGS).length, TRAINING_OPTIONS.length);
  });

  test('a bad value or an option of another method is an error naming the flag', () => {
    assert.throws(() => parseTrainingFlags('--lora-r eight'), /--lora-r: not a number: eight/);
    assert.throws(() => parseTrainingFlags('--max-length 10.5'), /--max-length: not an integer: 10.5/);
    assert.throws(() => parseTrainingFlags('--truncation left'), /--truncation must be one of keep-latest-turns, drop/);
    assert.throws(() => parseTrainingFlags('--lora-rank 8'), TrainingOptionError);
    assert.throws(() => trainingArgs('sft', { beta: 0.1 }), /--beta does not apply to --method sft/);
    assert.throws(() => trainingArgs('dpo', { paddingFree: 'on' }), /--padding-free does not apply to --method dpo/);
    assert.deepEqual(trainingArgs('pg', { beta: 0.05, advantage: 'turn' }), ['--beta', '0.05', '--advantage', 'turn']);
  });
});

test('trainingOptionsFor keeps the options that apply to a method and drops the others (one configuration for SFT and DPO)', () => {
  const shared = { maxSteps: 4, paddingFree: 'auto', beta: 0.2 } as const;
  assert.deepEqual(trainingOptionsFor('dpo', shared), { maxSteps: 4, beta: 0.2 });
  assert.deepEqual(trainingOptionsFor('sft', shared), { maxSteps: 4, paddingFree: 'auto' });
  assert.doesNotThrow(() => trainingArgs('dpo', trainingOptionsFor('dpo', shared)));
});
