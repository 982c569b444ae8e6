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
import {
  costOf,
  lookupModel,
  modelPrices,
  tableContextWindow,
  takesOnlyDefaultSampling,
} from '../../../src/core/agent/policies/modelTable';
import table from '../../../src/core/agent/policies/modelTable.json';

const ROOT = join(__dirname, '..', '..', '..', '..');

function flags(...args: string[]) {
  return parseArgs({ args, options: MODEL_FLAGS }).values as Record<string, unknown>;
}

/** The family a model is priced as, with its input and output prices. */
function priceOf(model: string): { family: string | undefined; input: number; output: number } | undefined {
  const prices = modelPrices(model, {});
  if (!prices) return undefined;
  return { family: prices.source.match(/^model table \(([^:]+):/)?.[1], input: prices.input, output: prices.output };
}

/** Dollars to a millionth of a cent, so sums of float products compare as the published figures. */
const round = (usd: number) => Math.round(usd * 1e8) / 1e8;

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
        '--logprobs',
        '--token-ids',
        '--reasoning-effort',
        'high',
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
      logprobs: true,
      tokenIds: true,
      reasoningEffort: 'high',
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
      [
        ['--reasoning-effort', 'extreme'],
        /^--reasoning-effort must be one of none, minimal, low, medium, high, xhigh, got "extreme"$/,
      ],
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
      else if (spec.kind === 'boolean') assert.equal(setting.default, false, `${field}: off, the server's default`);
      else if (spec.kind === 'choice') assert.deepEqual(setting.enum, [...spec.choices!, null], `${field} choices`);
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
    assert.match(MODEL_FLAGS_USAGE, /--stream \/ --no-stream /);
    assert.match(MODEL_FLAGS_USAGE, /--logprobs {2,}record/, 'only a knob on by default has a negation');
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
    // The Codex model OpenAI serves only through its Responses API: its own window, not the 128K fallback.
    assert.equal(tableContextWindow('gpt-5-codex')?.tokens, 400000);
    assert.equal(tableContextWindow('gpt-5.3-codex')?.tokens, 400000);
    assert.equal(takesOnlyDefaultSampling('gpt-5-codex'), true);
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
    // o3-pro and gpt-5-pro cost ten times o3 and gpt-5: each has its own price, never its sibling's.
    assert.deepEqual(priceOf('o3-pro'), { family: 'o3-pro', input: 20, output: 80 });
    assert.deepEqual(priceOf('o3-mini-2025-01-31'), { family: 'o3-mini', input: 1.1, output: 4.4 });
    assert.deepEqual(priceOf('gpt-5-pro-2025-10-06'), { family: 'gpt-5-pro', input: 15, output: 120 });
    assert.deepEqual(priceOf('gemini-2.0-flash-lite-001'), {
      family: 'gemini-2.0-flash-lite',
      input: 0.075,
      output: 0.3,
    });
    assert.equal(priceOf('gemini-2.0-flash-001')?.family, 'gemini-2.0-flash', "Gemini's stable build numbers");
    // A sibling the table does not price has no price (cost unknown), not the family's.
    for (const sibling of ['gpt-5.4-pro', 'o4-mini-deep-research', 'claude-sonnet-4-6-1m'])
      assert.equal(modelPrices(sibling, {}), undefined, sibling);
    assert.equal(tableContextWindow('o4-mini-deep-research')?.tokens, 200000, 'a context window still carries over');
  });

  test('long prompts: the whole request at the dearer tier past the threshold, as the providers publish it', () => {
    // Anthropic, Claude Sonnet 4 with the 1M window: 250K in and 2K out cost $1.50 + $0.045; 199,999 in, ~$0.63.
    const sonnet = modelPrices('claude-sonnet-4-20250514', {})!;
    assert.equal(round(costOf({ promptTokens: 250_000, completionTokens: 2_000 }, sonnet)), 1.545);
    assert.equal(round(costOf({ promptTokens: 199_999, completionTokens: 2_000 }, sonnet)), 0.629997);
    assert.equal(round(costOf({ promptTokens: 200_000, completionTokens: 0 }, sonnet)), 0.6, 'at 200K: base');
    const cachedLong = {
      promptTokens: 300_000,
      completionTokens: 0,
      cachedPromptTokens: 100_000,
      cacheWriteTokens: 50_000,
    };
    assert.equal(round(costOf(cachedLong, sonnet)), round((150_000 * 6 + 100_000 * 0.6 + 50_000 * 7.5) / 1e6));
    assert.equal(modelPrices('claude-sonnet-4-5', {})?.longPrompt?.input, 6);
    // Gemini 2.5 Pro: $1.25 / $10 (cached $0.125) up to 200k prompt tokens, $2.50 / $15 (cached $0.25) over.
    const gemini = modelPrices('gemini-2.5-pro', {})!;
    assert.equal(round(costOf({ promptTokens: 100_000, completionTokens: 1_000 }, gemini)), 0.135);
    const overTier = { promptTokens: 300_000, completionTokens: 1_000, cachedPromptTokens: 100_000 };
    assert.equal(round(costOf(overTier, gemini)), round((200_000 * 2.5 + 100_000 * 0.25 + 1_000 * 15) / 1e6));
    // GPT-5.4: over 272K input tokens, 2x input and 1.5x output.
    const gpt = modelPrices('gpt-5.4', {})!;
    assert.equal(round(costOf({ promptTokens: 272_000, completionTokens: 1_000 }, gpt)), 0.695);
    assert.equal(round(costOf({ promptTokens: 300_000, completionTokens: 1_000 }, gpt)), 1.5225);
    // Gemini 3.1 Pro's page gives no cache price over 200k: cached tokens are charged at that tier's input price.
    const gemini31 = modelPrices('gemini-3.1-pro', {})!;
    assert.equal(
      round(costOf({ promptTokens: 250_000, completionTokens: 0, cachedPromptTokens: 50_000 }, gemini31)),
      1,
    );
    // A price the user gives has one tier.
    assert.equal(modelPrices('gemini-2.5-pro', { priceInput: 1, priceOutput: 2 })?.longPrompt, undefined);
  });

  test('every price names a source with a date, and every figure is a number', () => {
    const sources = table.sources as Record<string, { url: string; read: string }>;
    for (const source of Object.values(sources)) assert.match(source.read, /^\d{4}-\d{2}-\d{2}$/);
    for (const entry of table.models as {
      model: string;
      prices?: Record<string, unknown>;
      context_source?: string;
      default_sampling_only?: boolean;
      default_sampling_source?: string;
    }[]) {
      if (entry.prices) {
        assert.ok(sources[entry.prices.source as string], `${entry.model}: its price source is listed`);
        for (const key of ['input', 'output'])
          assert.equal(typeof entry.prices[key], 'number', `${entry.model} ${key}`);
        const long = entry.prices.long_prompt as Record<string, unknown> | undefined;
        if (long) {
          for (const key of ['above_tokens', 'input', 'output'])
            assert.equal(typeof long[key], 'number', `${entry.model} long_prompt ${key}`);
          if (long.source)
            assert.ok(sources[long.source as string], `${entry.model}: its long_prompt source is listed`);
        }
      }
      if (entry.context_source)
        assert.ok(sources[entry.context_source], `${entry.model}: its context source is listed`);
      if (entry.default_sampling_only)
        assert.ok(
          sources[entry.default_sampling_source ?? ''],
          `${entry.model}: its default_sampling_only source is listed`,
        );
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
