/**
 * Asks a model server what it serves, where it says: the software behind an OpenAI-compatible URL and the
 * context window it enforces. vLLM and SGLang list `max_model_len` in /v1/models; llama.cpp's /props gives the
 * slot's `n_ctx`; LM Studio's /api/v1/models (0.4 and later) gives a loaded instance's `context_length` (else the
 * model's `max_context_length`), and on 0.3.x a one-token /api/v0/chat/completions gives the loaded model's
 * `model_info.context_length`; Ollama's /api/show gives a Modelfile's `num_ctx`, and /api/ps a loaded model's
 * `context_length`; TGI's /info gives `max_total_tokens`; gateways put the window on each model's card (OpenRouter's
 * and Together's `context_length`, Groq's `context_window`). Every question is short and may fail: the answer is
 * then simply missing.
 */
import type { ContextWindow } from './modelTable';
import type { PolicyInfo } from './policy';

export type ServerFamily = 'vllm' | 'sglang' | 'llama.cpp' | 'tgi' | 'lmstudio' | 'ollama' | 'openai';

export interface ServerFacts {
  server?: ServerFamily;
  contextWindow?: ContextWindow;
}

/** Ollama's context when nothing sets one: the smallest of its VRAM-dependent defaults (4k below 24 GiB). */
export const OLLAMA_DEFAULT_NUM_CTX = 4096;

const PROBE_TIMEOUT_MS = 5000;

interface ProbeOptions {
  apiKey?: string;
  signal?: AbortSignal;
}

async function getJson(url: string, options: ProbeOptions, body?: unknown): Promise<unknown> {
  const signals = [AbortSignal.timeout(PROBE_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
  try {
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  }
}

/** The server's root: the base URL without its trailing `/v1`. */
export function serverOrigin(baseURL: string): string {
  return baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const positive = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

/**
 * Fills a policy's `info` with what the server behind an OpenAI-style URL says: its software, and its context window
 * unless the user set one. OpenAI itself is not asked: the model table knows its windows.
 */
export async function probeIntoInfo(info: PolicyInfo, apiKey: string, signal?: AbortSignal): Promise<void> {
  if (info.server === 'openai') return;
  const facts = await probeOpenAICompatible(info.baseURL!, info.model, { apiKey, signal });
  if (facts.server) info.server = facts.server;
  if (facts.contextWindow && info.settings?.contextWindow === undefined) info.contextWindow = facts.contextWindow;
}

/** What an OpenAI-compatible server says about `model`. */
export async function probeOpenAICompatible(
  baseURL: string,
  model: string,
  options: ProbeOptions = {},
): Promise<ServerFacts> {
  const origin = serverOrigin(baseURL);
  const listing = await getJson(`${baseURL.replace(/\/+$/, '')}/models`, options);
  const cards = modelCards(listing);
  const card = cards.find((entry) => entry.id === model) ?? (cards.length === 1 ? cards[0] : undefined);
  const maxModelLen = positive(card?.max_model_len);
  if (maxModelLen) {
    // SGLang's card has vLLM's shape; only `owned_by` tells them apart.
    const [server, name] = card?.owned_by === 'sglang' ? (['sglang', 'SGLang'] as const) : (['vllm', 'vLLM'] as const);
    return { server, contextWindow: { tokens: maxModelLen, source: `${name} /v1/models max_model_len` } };
  }
  if (card?.owned_by === 'llamacpp' || isObject(card?.meta))
    return { server: 'llama.cpp', ...(await llamaCppWindow(origin, options)) };
  if (cards.length && cards.every((entry) => entry.owned_by === 'openai' || entry.owned_by === 'system'))
    return { server: 'openai' };
  // Gateways list each model's window on its card: OpenRouter and Together as `context_length`, Groq as
  // `context_window`.
  for (const field of ['context_length', 'context_window']) {
    const tokens = positive(card?.[field]);
    if (tokens) return { contextWindow: { tokens, source: `/v1/models ${field} of ${String(card?.id)}` } };
  }
  // TGI lists its one model as owned by itself.
  if (card && card.owned_by === card.id) {
    const tgi = await tgiWindow(origin, options);
    if (tgi) return { server: 'tgi', contextWindow: tgi };
  }
  const lmStudio = await lmStudioWindow(origin, model, options);
  if (lmStudio) return { server: 'lmstudio', contextWindow: lmStudio };
  const ollama = await ollamaWindow(origin, model, undefined, options);
  if (ollama) return { server: 'ollama', contextWindow: ollama };
  return {};
}

/** The cards of a /models listing: OpenAI's `{"object": "list", "data": […]}`, or Together's bare array. */
function modelCards(listing: unknown): Json[] {
  const cards = Array.isArray(listing) ? listing : isObject(listing) ? listing.data : undefined;
  return Array.isArray(cards) ? cards.filter(isObject) : [];
}

async function llamaCppWindow(origin: string, options: ProbeOptions): Promise<Pick<ServerFacts, 'contextWindow'>> {
  const props = await getJson(`${origin}/props`, options);
  const settings =
    isObject(props) && isObject(props.default_generation_settings) ? props.default_generation_settings : undefined;
  const tokens = positive(settings?.n_ctx);
  return tokens ? { contextWindow: { tokens, source: 'llama.cpp /props default_generation_settings.n_ctx' } } : {};
}

/** TGI's /info: `max_total_tokens` bounds the prompt and the reply together (`max_input_tokens` the prompt). */
async function tgiWindow(origin: string, options: ProbeOptions): Promise<ContextWindow | undefined> {
  const info = await getJson(`${origin}/info`, options);
  const tokens =
    isObject(info) && info.router === 'text-generation-router' ? positive(info.max_total_tokens) : undefined;
  return tokens ? { tokens, source: 'TGI /info max_total_tokens' } : undefined;
}

async function lmStudioWindow(
  origin: string,
  model: string,
  options: ProbeOptions,
): Promise<ContextWindow | undefined> {
  const listing = await getJson(`${origin}/api/v1/models`, options);
  const models = isObject(listing) && Array.isArray(listing.models) ? listing.models.filter(isObject) : [];
  const entry = models.find((candidate) => candidate.key === model);
  if (entry) {
    const instance = Array.isArray(entry.loaded_instances) ? entry.loaded_instances.find(isObject) : undefined;
    const loaded = positive(isObject(instance?.config) ? instance.config.context_length : undefined);
    if (loaded) return { tokens: loaded, source: 'LM Studio /api/v1/models loaded_instances[0].config.context_length' };
    const max = positive(entry.max_context_length);
    if (max)
      return { tokens: max, source: 'LM Studio /api/v1/models max_context_length (the model is not loaded yet)' };
  }
  // LM Studio 0.3.x has only the v0 REST API, whose model info gives the maximum, not the loaded context.
  const info = await getJson(`${origin}/api/v0/models/${encodeURIComponent(model)}`, options);
  if (!isObject(info)) return undefined;
  const loaded = info.state === 'loaded' ? await lmStudioV0LoadedContext(origin, model, options) : undefined;
  if (loaded)
    return {
      tokens: loaded,
      source: 'LM Studio /api/v0/chat/completions model_info.context_length (the model as loaded)',
    };
  const max = positive(info.max_context_length);
  if (!max) return undefined;
  const state = info.state === 'loaded' ? 'loaded' : 'not loaded yet';
  return { tokens: max, source: `LM Studio /api/v0/models max_context_length (the model is ${state})` };
}

/**
 * The context a loaded model runs with, on LM Studio 0.3.x: only a v0 completion says it (`model_info
 * .context_length`), so ask the loaded model for one token.
 */
async function lmStudioV0LoadedContext(
  origin: string,
  model: string,
  options: ProbeOptions,
): Promise<number | undefined> {
  const request = { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1, stream: false };
  const completion = await getJson(`${origin}/api/v0/chat/completions`, options, request);
  return positive(
    isObject(completion) && isObject(completion.model_info) ? completion.model_info.context_length : undefined,
  );
}

/**
 * The context an Ollama model runs with: `--num-ctx` when given (sent with every request), else a Modelfile's
 * `num_ctx`, else the context of the model as loaded now (/api/ps), else Ollama's smallest default; never
 * more than the model was trained for (`<arch>.context_length`).
 */
export async function ollamaWindow(
  origin: string,
  model: string,
  numCtx: number | undefined,
  options: ProbeOptions = {},
): Promise<ContextWindow | undefined> {
  if (numCtx) return { tokens: numCtx, source: 'Ollama options.num_ctx (--num-ctx)' };
  const shown = await getJson(`${origin}/api/show`, options, { model });
  if (!isObject(shown)) return undefined;
  const trained = isObject(shown.model_info)
    ? Object.entries(shown.model_info).find(([key]) => key.endsWith('.context_length'))?.[1]
    : undefined;
  const cap = (tokens: number) => Math.min(tokens, positive(trained) ?? tokens);
  const modelfile = /^num_ctx\s+(\d+)/m.exec(typeof shown.parameters === 'string' ? shown.parameters : '');
  if (modelfile) return { tokens: cap(Number(modelfile[1])), source: 'Ollama /api/show parameters num_ctx' };
  const running = await getJson(`${origin}/api/ps`, options);
  const loaded = isObject(running) && Array.isArray(running.models) ? running.models.filter(isObject) : [];
  const match = loaded.find(
    (entry) => entry.name === model || entry.model === model || entry.name === `${model}:latest`,
  );
  const context = positive(match?.context_length);
  if (context) return { tokens: cap(context), source: 'Ollama /api/ps context_length (the model as loaded)' };
  return {
    tokens: cap(OLLAMA_DEFAULT_NUM_CTX),
    source: `Ollama's default context (${OLLAMA_DEFAULT_NUM_CTX} below 24 GiB of VRAM; set --num-ctx for more)`,
  };
}
