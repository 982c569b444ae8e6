/**
 * Policy specs as the CLI takes them: `openai:MODEL[@BASE_URL]` (chat completions), `openai-responses:MODEL[@BASE_URL]`
 * (OpenAI's Responses API), `anthropic:MODEL[@BASE_URL]`, `ollama:MODEL[@BASE_URL]`, `recorded:PATH` (`replay:PATH`,
 * its former name, is read as the same).
 */
import { AnthropicPolicy, type AnthropicPolicyOptions } from './anthropicPolicy';
import type { ModelSettings } from './modelSettings';
import { OllamaPolicy, type OllamaPolicyOptions } from './ollamaPolicy';
import { OpenAIPolicy, type OpenAIPolicyOptions } from './openaiPolicy';
import type { AssistantMessage, Policy } from './policy';
import { loadRecordedMessages, RecordedPolicy } from './recordedPolicy';
import { ResponsesPolicy } from './responsesPolicy';

export type PolicySpec =
  { backend: (typeof MODEL_BACKENDS)[number]; model: string; baseURL?: string } | { backend: 'recorded'; path: string };

const MODEL_BACKENDS = ['openai', 'openai-responses', 'anthropic', 'ollama'] as const;
/** `recorded:` and its former name `replay:` (an alias kept so existing commands and job specs keep working). */
const RECORDED_NAMES = ['recorded', 'replay'];
const USAGE =
  'use openai:MODEL[@BASE_URL], openai-responses:MODEL[@BASE_URL], anthropic:MODEL[@BASE_URL], ollama:MODEL[@BASE_URL] or recorded:PATH';

/** Parses a spec; a bad one throws an error that quotes it and says what is accepted. */
export function parsePolicySpec(spec: string): PolicySpec {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new Error(`policy "${spec}": no backend given; ${USAGE}`);
  const backend = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (RECORDED_NAMES.includes(backend)) {
    if (!rest) throw new Error(`policy "${spec}": ${backend} needs the path of a recorded trajectory; ${USAGE}`);
    return { backend: 'recorded', path: rest };
  }
  if (!(MODEL_BACKENDS as readonly string[]).includes(backend))
    throw new Error(`policy "${spec}": unknown backend "${backend}"; ${USAGE}`);
  const modelBackend = backend as (typeof MODEL_BACKENDS)[number];
  // Model names may hold ':' and '@' (`llama3:8b`, `org/model@rev`); only `@http(s)://…` starts a URL.
  const withURL = /^(.*)@(https?:\/\/.+)$/.exec(rest);
  const model = withURL ? withURL[1] : rest;
  if (!model) throw new Error(`policy "${spec}": no model name; ${USAGE}`);
  if (!withURL) return { backend: modelBackend, model };
  try {
    new URL(withURL[2]);
  } catch {
    throw new Error(`policy "${spec}": "${withURL[2]}" is not a valid base URL`);
  }
  return { backend: modelBackend, model, baseURL: withURL[2] };
}

export interface CreatePolicyOptions {
  /** Where keys come from when not given below (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The knobs the user set: sampling, context window, prices, streaming. */
  settings?: ModelSettings;
  /** More OpenAI-compatible settings: key, logprobs, retries (the Responses API's policy takes its key and retries). */
  openai?: Omit<OpenAIPolicyOptions, 'model' | 'baseURL' | 'settings'>;
  anthropic?: Omit<AnthropicPolicyOptions, 'model' | 'baseURL' | 'settings'>;
  ollama?: Omit<OllamaPolicyOptions, 'model' | 'baseURL' | 'settings'>;
  /** Reads a recording's assistant messages (default: a `trajectory.jsonl` through the trajectory reader). */
  loadRecorded?: (path: string) => Promise<AssistantMessage[]>;
  /** Skip asking the server what it serves (its context window then comes from the settings or the table). */
  noProbe?: boolean;
}

/** A policy from a spec string (or a parsed spec), having asked its server what it serves. */
export async function createPolicy(spec: string | PolicySpec, options: CreatePolicyOptions = {}): Promise<Policy> {
  const parsed = typeof spec === 'string' ? parsePolicySpec(spec) : spec;
  const common = { env: options.env, settings: options.settings };
  let policy: Policy;
  switch (parsed.backend) {
    case 'openai':
      policy = new OpenAIPolicy({ ...common, ...options.openai, model: parsed.model, baseURL: parsed.baseURL });
      break;
    case 'openai-responses': {
      const { apiKey, timeoutMs, retry } = options.openai ?? {};
      policy = new ResponsesPolicy({
        ...common,
        apiKey,
        timeoutMs,
        retry,
        model: parsed.model,
        baseURL: parsed.baseURL,
      });
      break;
    }
    case 'anthropic':
      policy = new AnthropicPolicy({ ...common, ...options.anthropic, model: parsed.model, baseURL: parsed.baseURL });
      break;
    case 'ollama':
      policy = new OllamaPolicy({ ...common, ...options.ollama, model: parsed.model, baseURL: parsed.baseURL });
      break;
    case 'recorded':
      return new RecordedPolicy(await (options.loadRecorded ?? loadRecordedMessages)(parsed.path), parsed.path);
  }
  if (!options.noProbe) await policy.probe?.();
  return policy;
}
