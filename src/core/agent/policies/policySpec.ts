/** Policy specs as the CLI takes them: `openai:MODEL[@BASE_URL]`, `anthropic:MODEL[@BASE_URL]`, `replay:PATH`. */
import { AnthropicPolicy, type AnthropicPolicyOptions } from './anthropicPolicy';
import { OpenAIPolicy, type OpenAIPolicyOptions } from './openaiPolicy';
import type { AssistantMessage, Policy } from './policy';
import { loadReplayMessages, ReplayPolicy } from './replayPolicy';

export type PolicySpec =
  | { backend: 'openai'; model: string; baseURL?: string }
  | { backend: 'anthropic'; model: string; baseURL?: string }
  | { backend: 'replay'; path: string };

const USAGE = 'use openai:MODEL[@BASE_URL], anthropic:MODEL[@BASE_URL] or replay:PATH';

/** Parses a spec; a bad one throws an error that quotes it and says what is accepted. */
export function parsePolicySpec(spec: string): PolicySpec {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new Error(`policy "${spec}": no backend given; ${USAGE}`);
  const backend = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (backend === 'replay') {
    if (!rest) throw new Error(`policy "${spec}": replay needs the path of a recorded trajectory; ${USAGE}`);
    return { backend, path: rest };
  }
  if (backend !== 'openai' && backend !== 'anthropic')
    throw new Error(`policy "${spec}": unknown backend "${backend}"; ${USAGE}`);
  // Model names may hold ':' and '@' (`llama3:8b`, `org/model@rev`); only `@http(s)://…` starts a URL.
  const withURL = /^(.*)@(https?:\/\/.+)$/.exec(rest);
  const model = withURL ? withURL[1] : rest;
  if (!model) throw new Error(`policy "${spec}": no model name; ${USAGE}`);
  if (!withURL) return { backend, model };
  try {
    new URL(withURL[2]);
  } catch {
    throw new Error(`policy "${spec}": "${withURL[2]}" is not a valid base URL`);
  }
  return { backend, model, baseURL: withURL[2] };
}

export interface CreatePolicyOptions {
  /** Where keys come from when not given below (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** More OpenAI-compatible settings: key, sampling, logprobs, retries, prices. */
  openai?: Omit<OpenAIPolicyOptions, 'model' | 'baseURL'>;
  anthropic?: Omit<AnthropicPolicyOptions, 'model' | 'baseURL'>;
  /** Reads a recording's assistant messages (default: a `trajectory.jsonl` through the trajectory reader). */
  loadReplay?: (path: string) => Promise<AssistantMessage[]>;
}

/** A policy from a spec string (or a parsed spec). */
export async function createPolicy(spec: string | PolicySpec, options: CreatePolicyOptions = {}): Promise<Policy> {
  const parsed = typeof spec === 'string' ? parsePolicySpec(spec) : spec;
  switch (parsed.backend) {
    case 'openai':
      return new OpenAIPolicy({ env: options.env, ...options.openai, model: parsed.model, baseURL: parsed.baseURL });
    case 'anthropic':
      return new AnthropicPolicy({
        env: options.env,
        ...options.anthropic,
        model: parsed.model,
        baseURL: parsed.baseURL,
      });
    case 'replay':
      return new ReplayPolicy(await (options.loadReplay ?? loadReplayMessages)(parsed.path), parsed.path);
  }
}
