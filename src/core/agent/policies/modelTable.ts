/**
 * What the project knows about a model without asking its server: its context window and list prices, from
 * the data file modelTable.json (each figure with its source and date), and the one cost formula.
 */
import table from './modelTable.json';
import { FALLBACK_CONTEXT_WINDOW, ModelSettingsError, type ModelSettings } from './modelSettings';
import type { TokenUsage } from './policy';

/** US dollars per million tokens, at one tier. */
export interface TierPrices {
  input: number;
  output: number;
  /** A prompt-cache hit; the input price when absent. */
  cachedInput?: number;
  /** A prompt-cache write (Anthropic); the input price when absent. */
  cacheWrite?: number;
}

/** US dollars per million tokens. */
export interface Prices extends TierPrices {
  /**
   * The dearer tier of a model whose provider charges a whole request more once its prompt (cached and
   * cache-written tokens included) is over `aboveTokens`: Gemini 2.5 Pro and Claude Sonnet 4 over 200k,
   * GPT-5.4 over 272k.
   */
  longPrompt?: TierPrices & { aboveTokens: number };
}

/** Prices and where they came from, as a run records them. */
export interface PriceSource extends Prices {
  source: string;
}

/** A context window and who said so (`vLLM /v1/models max_model_len`, `model table`, …). */
export interface ContextWindow {
  tokens: number;
  source: string;
}

interface TablePrices {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
}

interface TableEntry {
  model: string;
  context_window?: number;
  context_source?: string;
  /** The model takes only its default sampling: any other temperature is a 400, a request for logprobs a 403. */
  default_sampling_only?: boolean;
  default_sampling_source?: string;
  prices?: TablePrices & {
    source: string;
    long_prompt?: TablePrices & { above_tokens: number; source?: string };
  };
}

const SOURCES: Record<string, { url: string; read: string }> = table.sources;
const ENTRIES: TableEntry[] = table.models;

/**
 * The table's entry for a model id: the longest entry that the id starts with, followed by nothing or by
 * `-`, `:` or `@` (a dated snapshot, an Ollama tag, a size), after dropping an `org/` prefix and case. Good
 * enough for a context window; prices take `pricedEntry`, which is stricter.
 */
export function lookupModel(model: string): TableEntry | undefined {
  return longestEntry(model, (rest) => /^[-:@]/.test(rest));
}

/**
 * A snapshot of the same model, priced as it: a date (`-2024-08-06`, `-20250514`, `@20250929`, `-0613`), a
 * Gemini stable build (`-001`), `-latest`, a preview or experimental build, an Ollama tag. Anything else after
 * the family name is another model (`o3-pro`, `gpt-5-pro`, `gemini-2.5-flash-lite`), often at another price:
 * no price beats a wrong one.
 */
const SNAPSHOT_SUFFIX =
  /^(-\d{3,4}(-?\d{2}-?\d{2})?|-latest|-(preview|exp)(-[\w.-]+)?|-\d{2}-\d{4}|@[\w.-]+|:[\w.-]+)$/;

function pricedEntry(model: string): TableEntry | undefined {
  const entry = longestEntry(model, (rest) => SNAPSHOT_SUFFIX.test(rest));
  return entry?.prices ? entry : undefined;
}

/**
 * Whether the model takes only its default sampling (OpenAI's o-series and gpt-5): a temperature chosen for it by
 * default must not be sent, and it returns no log-probabilities. Matched as prices are: `gpt-5-chat-latest`, which
 * takes a temperature, is not `gpt-5`.
 */
export function takesOnlyDefaultSampling(model: string): boolean {
  return longestEntry(model, (rest) => SNAPSHOT_SUFFIX.test(rest))?.default_sampling_only === true;
}

function longestEntry(model: string, isSameModel: (rest: string) => boolean): TableEntry | undefined {
  const id = model.toLowerCase().split('/').pop() ?? '';
  let best: TableEntry | undefined;
  for (const entry of ENTRIES) {
    const matches = id === entry.model || (id.startsWith(entry.model) && isSameModel(id.slice(entry.model.length)));
    if (matches && entry.model.length > (best?.model.length ?? -1)) best = entry;
  }
  return best;
}

function describeSource(key: string | undefined): string {
  const source = key ? SOURCES[key] : undefined;
  return source ? `${source.url}, read ${source.read}` : 'the model table';
}

/** The table's context window for a model, if it has one. */
export function tableContextWindow(model: string): ContextWindow | undefined {
  const entry = lookupModel(model);
  if (!entry?.context_window) return undefined;
  return {
    tokens: entry.context_window,
    source: `model table (${entry.model}: ${describeSource(entry.context_source)})`,
  };
}

/**
 * The window before the server is asked: `--context-window`, else the model table, else the fallback. A
 * policy's probe may replace it with the server's word when the user gave none.
 */
export function knownContextWindow(model: string, settings: Pick<ModelSettings, 'contextWindow'>): ContextWindow {
  if (settings.contextWindow) return { tokens: settings.contextWindow, source: 'given (--context-window)' };
  return tableContextWindow(model) ?? { tokens: FALLBACK_CONTEXT_WINDOW, source: 'default' };
}

/**
 * The prices a run is charged at: `--price-input/--price-output` over the table's. One price given for a
 * model the table does not know is an error, since half a price would make every cost wrong.
 */
export function modelPrices(
  model: string,
  settings: Pick<ModelSettings, 'priceInput' | 'priceOutput'>,
): PriceSource | undefined {
  const family = pricedEntry(model);
  const entry = family?.prices;
  const { priceInput, priceOutput } = settings;
  if (priceInput === undefined && priceOutput === undefined) {
    if (!entry) return undefined;
    const long = entry.long_prompt;
    const longSource = long?.source ? `; over ${long.above_tokens} prompt tokens: ${describeSource(long.source)}` : '';
    return {
      ...tierPrices(entry),
      ...(long ? { longPrompt: { aboveTokens: long.above_tokens, ...tierPrices(long) } } : {}),
      source: `model table (${family?.model}: ${describeSource(entry.source)}${longSource})`,
    };
  }
  const input = priceInput ?? entry?.input;
  const output = priceOutput ?? entry?.output;
  if (input === undefined || output === undefined)
    throw new ModelSettingsError(
      `${priceInput === undefined ? '--price-input' : '--price-output'} is needed too: the model table has no price for ${model}`,
    );
  // A price the user gave says nothing about the cache discount; cached tokens are then charged in full.
  return { input, output, source: 'given (--price-input / --price-output, or the same settings)' };
}

function tierPrices(prices: TablePrices): TierPrices {
  return {
    input: prices.input,
    output: prices.output,
    ...(prices.cached_input !== undefined ? { cachedInput: prices.cached_input } : {}),
    ...(prices.cache_write !== undefined ? { cacheWrite: prices.cache_write } : {}),
  };
}

/** US dollars for one call's usage, every token at the tier its prompt's length puts the whole call in. */
export function costOf(usage: TokenUsage, allPrices: Prices): number {
  const long = allPrices.longPrompt;
  const prices: TierPrices = long && usage.promptTokens > long.aboveTokens ? long : allPrices;
  const cached = usage.cachedPromptTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const fresh = Math.max(0, usage.promptTokens - cached - written);
  return (
    (fresh * prices.input +
      cached * (prices.cachedInput ?? prices.input) +
      written * (prices.cacheWrite ?? prices.input) +
      usage.completionTokens * prices.output) /
    1e6
  );
}
