import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  compactionFromFlags,
  MODEL_FLAGS,
  MODEL_FLAGS_USAGE,
  modelSettingsFromFlags,
} from '../../../src/cli/modelOptions';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import {
  checkModelSettings,
  DEFAULT_STREAM,
  MODEL_SETTING_FIELDS,
  ModelSettingsError,
} from '../../../src/core/agent/policies/modelSettings';
import { costOf, lookupModel, modelPrices, tableContextWindow } from '../../../src/core/agent/policies/modelTable';
import table from '../../../src/core/agent/policies/modelTable.json';

const ROOT = join(__dirname, '..', '..', '..', '..');

function flags(...args: string[]) {
  return parseArgs({ args, options: MODEL_FLAGS }).values as Record<string, unknown>;
}

describe('model settings', () => {
  test('the CLI flags give every knob, checked', () => {
    const settings = modelSettingsFromFlags(
      flags(
        '--temperature',
        '0.2',
        '--top-p',
        '0.95',
        '--max-tokens',
        '2048',
        '--seed',
        '7',
        '--stop',
        '</s>',
        '--stop',
        'END',
        '--context-window',
        '32768',
        '--price-input',
        '0.5',
        '--price-output',
        '1.5',
        '--no-stream',
      ),
    );
    assert.deepEqual(settings, {
      temperature: 0.2,
      topP: 0.95,
      maxTokens: 2048,
      seed: 7,
      stop: ['</s>', 'END'],
      contextWindow: 32768,
      priceInput: 0.5,
      priceOutput: 1.5,
      stream: false,
    });
    assert.deepEqual(modelSettingsFromFlags(flags()), {}, 'unset knobs are the server default, and absent');
    assert.equal(compactionFromFlags(flags('--compaction', 'summarize')), 'summarize');
    assert.throws(
      () => compactionFromFlags(flags('--compaction', 'drop')),
      /--compaction must be one of sliding-window, summarize, got 'drop'/,
    );
  });

  test('a bad value names the flag and says what is expected', () => {
    const cases: [string[], RegExp][] = [
      [['--temperature', 'hot'], /^--temperature must be a number, got "hot"$/],
      [['--temperature', '3'], /^--temperature must be at most 2, got 3$/],
      [['--top-p=-0.1'], /^--top-p must be at least 0/],
      [['--max-tokens', '1.5'], /^--max-tokens must be a whole number/],
      [['--context-window', '100'], /^--context-window must be at least 1024/],
      [
        ['--thinking-budget', '4096', '--max-tokens', '2048'],
        /--thinking-budget \(4096\) must be below --max-tokens \(2048\)/,
      ],
      [['--stream', '--no-stream'], /contradict/],
    ];
    for (const [args, expected] of cases)
      assert.throws(
        () => modelSettingsFromFlags(flags(...args)),
        (error: Error) => error instanceof ModelSettingsError && expected.test(error.message),
      );
    assert.throws(
      () => checkModelSettings({ temperature: 'warm' }, (field) => `rolloutStudio.model.${field}`),
      /^Error: rolloutStudio\.model\.temperature must be a number/,
    );
  });

  test('the VS Code settings declare every knob once, with the same bounds and defaults as the core', () => {
    const declared = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).contributes.configuration.properties;
    for (const [field, spec] of Object.entries(MODEL_SETTING_FIELDS)) {
      const setting = declared[`rolloutStudio.model.${field}`];
      assert.ok(setting, `rolloutStudio.model.${field} is declared`);
      assert.equal(setting.minimum, spec.min, `${field} minimum`);
      assert.equal(setting.maximum, spec.max, `${field} maximum`);
      if (field === 'stream') assert.equal(setting.default, DEFAULT_STREAM);
      else
        assert.ok(
          setting.default === null || (Array.isArray(setting.default) && setting.default.length === 0),
          `${field}: the server's default`,
        );
    }
    const compaction = declared['rolloutStudio.agent.compaction'];
    assert.equal(compaction.default, DEFAULT_AGENT_CONFIG.compaction);
    assert.deepEqual(compaction.enum, ['sliding-window', 'summarize']);
    for (const field of Object.values(MODEL_SETTING_FIELDS))
      assert.ok(MODEL_FLAGS_USAGE.includes(`--${field.flag}`), field.flag);
  });
});

describe('model table', () => {
  test('a model id finds its family: dated snapshots, org prefixes and Ollama tags; never a longer family by a shorter name', () => {
    assert.equal(lookupModel('gpt-4o-2024-08-06')?.model, 'gpt-4o');
    assert.equal(lookupModel('gpt-4o-mini')?.model, 'gpt-4o-mini');
    assert.equal(lookupModel('claude-sonnet-4-5-20250929')?.model, 'claude-sonnet-4-5');
    assert.equal(lookupModel('claude-sonnet-4-20250514')?.model, 'claude-sonnet-4');
    assert.equal(lookupModel('Qwen/Qwen2.5-Coder-32B-Instruct')?.model, 'qwen2.5-coder');
    assert.equal(lookupModel('qwen2.5-coder:7b')?.model, 'qwen2.5-coder');
    assert.equal(lookupModel('gpt-5.2'), undefined, 'gpt-5 does not claim gpt-5.2');
    assert.equal(tableContextWindow('qwen3-coder:30b')?.tokens, 262144);
  });

  test("a price goes only to the same model's snapshots, never to a sibling priced differently", () => {
    const family = (model: string) => modelPrices(model, {})?.source.match(/^model table \(([^:]+):/)?.[1];
    assert.equal(family('gpt-4o-2024-08-06'), 'gpt-4o');
    assert.equal(family('claude-sonnet-4-20250514'), 'claude-sonnet-4');
    assert.equal(family('claude-sonnet-4-5@20250929'), 'claude-sonnet-4-5');
    assert.equal(family('claude-3-7-sonnet-latest'), 'claude-3-7-sonnet');
    assert.equal(family('gemini-2.5-flash-preview-05-20'), 'gemini-2.5-flash');
    assert.equal(family('gemini-2.5-flash-lite'), 'gemini-2.5-flash-lite');
    assert.equal(modelPrices('gemini-2.5-flash', {})?.cachedInput, 0.03);
    // o3-pro and gpt-5-pro cost ten times o3 and gpt-5: unknown, not under-counted.
    for (const sibling of ['o3-pro', 'o3-mini', 'gpt-5-pro', 'gemini-2.0-flash-lite'])
      assert.equal(modelPrices(sibling, {}), undefined, sibling);
    assert.equal(tableContextWindow('o3-pro')?.tokens, 200000, 'a context window still carries over');
  });

  test('every price names a source with a date, and every figure is a number', () => {
    const sources = table.sources as Record<string, { url: string; read: string }>;
    for (const source of Object.values(sources)) assert.match(source.read, /^\d{4}-\d{2}-\d{2}$/);
    for (const entry of table.models as {
      model: string;
      prices?: Record<string, unknown>;
      context_source?: string;
    }[]) {
      if (entry.prices) {
        assert.ok(sources[entry.prices.source as string], `${entry.model}: its price source is listed`);
        for (const key of ['input', 'output'])
          assert.equal(typeof entry.prices[key], 'number', `${entry.model} ${key}`);
      }
      if (entry.context_source)
        assert.ok(sources[entry.context_source], `${entry.model}: its context source is listed`);
    }
  });

  test('cost: fresh input, cached input, cache writes and output each at their price', () => {
    const prices = modelPrices('claude-sonnet-4-5', {})!;
    assert.deepEqual([prices.input, prices.cacheWrite, prices.cachedInput, prices.output], [3, 3.75, 0.3, 15]);
    const usage = { promptTokens: 10_000, completionTokens: 1_000, cachedPromptTokens: 6_000, cacheWriteTokens: 2_000 };
    assert.equal(costOf(usage, prices), (2_000 * 3 + 6_000 * 0.3 + 2_000 * 3.75 + 1_000 * 15) / 1e6);
    assert.equal(
      costOf({ promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 1000 }, { input: 1, output: 2 }),
      0.001,
      'no cache price: full price',
    );
    const given = modelPrices('gpt-4o', { priceOutput: 9 })!;
    assert.deepEqual([given.input, given.output], [2.5, 9]);
  });
});
