/**
 * A model backend: given the conversation so far (OpenAI chat format) and the tools, it returns the next
 * assistant message. Every backend is one file that implements `Policy`; the agent loop knows only this.
 */
import type { ToolDefinition } from '../tools/tool';
import type { ModelSettings } from './modelSettings';
import type { ContextWindow, PriceSource } from './modelTable';

export interface ToolCall {
  id: string;
  type: 'function';
  function: {
    name: string;
    /** The arguments exactly as the model wrote them: a JSON string, possibly malformed. */
    arguments: string;
  };
  /**
   * A vendor's extension object the server put on this call, kept as it came to go back on it in every later
   * request: Gemini 3's OpenAI-compatible API signs the first call of each reply
   * (`{"google": {"thought_signature": "…"}}`) and refuses a request whose current-turn calls lack their
   * signature. Absent when the server sent none.
   */
  extra_content?: Record<string, unknown>;
}

export interface SystemMessage {
  role: 'system';
  content: string;
}

export interface UserMessage {
  role: 'user';
  content: string;
  /**
   * Kept in the record, never sent to a model: who wrote the message when it is not the task itself (a
   * protocol's simulated user or feedback) and in which round, e.g. `{ speaker: 'simulated_user', round: 1 }`.
   */
  extra?: Record<string, unknown>;
}

/** A thinking block as Anthropic returns it; it must go back verbatim, signature included. */
export type ThinkingBlock =
  { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

/** The readable text of thinking blocks, one block a line; a `redacted_thinking` block has none. */
export function thinkingText(blocks: readonly ThinkingBlock[]): string {
  return blocks.flatMap((block) => (block.type === 'thinking' ? [block.thinking] : [])).join('\n');
}

/**
 * Reasoning a server returned in a field of its message (OpenAI-compatible `reasoning_content` or `reasoning`,
 * Ollama's `thinking`) or in its content's thinking chunks (Mistral's, `content_chunks`), kept to go back on that
 * message the same way: DeepSeek's thinking mode refuses a
 * conversation whose tool-call turns lack theirs (an empty one included, hence `text` may be ''), Kimi K2 and
 * GLM want it too, and Qwen3-style chat templates render it.
 */
export type ReasoningSentBack =
  { field: 'reasoning_content' | 'reasoning' | 'thinking' | 'content_chunks'; text: string } | InlineReasoning;

/**
 * Reasoning the model wrote in its reply's text (`<think>…</think>`), read apart from the answer (src/core/agent/
 * policies/inlineReasoning.ts). The reply goes back as it came: `before + text + after` and then the message's content.
 */
export interface InlineReasoning {
  field: 'content';
  text: string;
  /** The reply's text before the reasoning: its opening tag, or '' where the chat template opened it. */
  before: string;
  /** The closing tag, or '' in a reply cut off before it. */
  after: string;
}

/**
 * A block of a reply's reasoning as OpenRouter returns it in `reasoning_details` (`reasoning.text` with its
 * `signature`, `reasoning.summary`, `reasoning.encrypted` with its `data`; each with `id`, `format`, `index`): opaque
 * here, kept as it came, since it must go back unmodified (Anthropic's thinking signatures, Gemini's thought
 * signatures, OpenAI's encrypted reasoning; openrouter.ai/docs/guides/best-practices/reasoning-tokens).
 */
export type ReasoningDetail = Record<string, unknown>;

/**
 * A reasoning item of OpenAI's Responses API (`{"type": "reasoning", "id", "summary", "encrypted_content"}`): opaque
 * here, kept as it came, since it goes back with every later request and the server refuses encrypted content it
 * cannot verify.
 */
export type ReasoningItem = Record<string, unknown>;

export interface AssistantMessage {
  role: 'assistant';
  /** Null only beside tool calls: a reply with neither is '' (servers refuse an empty assistant message). */
  content: string | null;
  tool_calls?: ToolCall[];
  /**
   * What one API needs back with this message and others must not see: Anthropic's signed thinking blocks, the
   * reasoning of an OpenAI-compatible or Ollama server, OpenRouter's reasoning blocks, the Responses API's
   * reasoning items.
   */
  extra?: {
    thinking_blocks?: ThinkingBlock[];
    reasoning_sent_back?: ReasoningSentBack;
    reasoning_details?: ReasoningDetail[];
    reasoning_items?: ReasoningItem[];
  };
}

export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** One message of a conversation in OpenAI chat-completions format. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A piece of a reply as the server streams it. */
export type ReplyDelta =
  | { kind: 'content' | 'reasoning'; text: string }
  | { kind: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  /** The attempt failed and is tried again: what was shown so far is void. */
  | { kind: 'restart' };

export interface PolicyRequest {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  signal?: AbortSignal;
  /** Called with each piece of the reply while the server streams it. */
  onDelta?: (delta: ReplyDelta) => void;
}

export interface TokenUsage {
  /** Every input token of the request, cached ones included. */
  promptTokens: number;
  /** Every generated token, reasoning included. */
  completionTokens: number;
  /** Of `promptTokens`, those served from the server's prompt cache (OpenAI `prompt_tokens_details.cached_tokens`). */
  cachedPromptTokens?: number;
  /** Of promptTokens: written to the prompt cache (Anthropic's cache_creation_input_tokens). */
  cacheWriteTokens?: number;
  /** Of completionTokens: spent on reasoning. */
  reasoningTokens?: number;
  /** The server reported no usage, or left a count out: that count is estimated (`estimatedTokens`). */
  estimated?: boolean;
}

/** Tokens estimated from text, for a server that reports none: 4 characters a token. */
export function estimatedTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value).length / 4);
}

/** The log-probability of one generated token, as the server reported it. */
export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface PolicyResponse {
  message: AssistantMessage;
  usage: TokenUsage;
  /** US dollars, when the server reports it or the policy was given prices. */
  cost?: number;
  /** Per generated token, when asked for (`--logprobs`) and the server returns them. */
  logprobs?: TokenLogprob[];
  /** Prompt and completion token ids, when the server returns them (vLLM `return_token_ids`). */
  tokenIds?: { prompt?: number[]; completion: number[] };
  /** Why generation stopped, as the server said it (`stop`, `tool_calls`, `length`, `end_turn`, …). */
  finishReason?: string;
  /** The model id the server says answered (its response's `model`), which may differ from the one asked for. */
  model?: string;
  /** The server's `system_fingerprint`, when it sends one. */
  systemFingerprint?: string;
  /** The sampling parameters this request was sent with (temperature, top_p, max_tokens, seed …). */
  sampling?: Record<string, unknown>;
  /**
   * Reasoning text returned beside the message (`reasoning_content`, Anthropic thinking), for the record. What an
   * API needs back (Anthropic's signed thinking blocks, the reasoning field a server sent) travels in the
   * message's `extra`.
   */
  reasoning?: string;
  /**
   * The server quirks this call's request was worked around for, by name (e.g. `llamacpp-stream-tools`): those the
   * server showed during the call and those it showed before (in this run, an earlier process of it, or another run
   * sharing the policy), so that each turn's record says how its request went out.
   */
  workarounds?: string[];
  /** Wall time of the whole call, retries and backoff included. */
  modelMs: number;
  /** Attempts that failed and were retried before this response (429, 5xx, timeouts). */
  retries: number;
}

/** What a run records about the policy, enough to make it again: never a key. */
export interface PolicyInfo {
  backend: 'openai' | 'openai-responses' | 'anthropic' | 'ollama' | 'recorded' | 'vscode-lm';
  model: string;
  baseURL?: string;
  /** Sampling parameters sent with every request, in the server's own names (temperature, max_tokens, …). */
  parameters: Record<string, unknown>;
  /** The knobs as the user set them. */
  settings?: ModelSettings;
  /** The server software behind an OpenAI-compatible URL, when it says (`vllm`, `llama.cpp`, `lmstudio`, `ollama`). */
  server?: string;
  /** The context window the agent compacts against, and who said so. */
  contextWindow?: ContextWindow;
  /** The prices costs are computed at, and where they come from; absent when unknown (cost then unknown). */
  prices?: PriceSource;
}

export interface Policy {
  readonly info: PolicyInfo;
  next(request: PolicyRequest): Promise<PolicyResponse>;
  /** Asks the server what it serves (its context window), filling `info`; never fails, only falls back. */
  probe?(signal?: AbortSignal): Promise<void>;
  /**
   * A resumed run already holds these calls of this policy. A policy that answers from a recording continues after
   * their answers; one that asks a model is sent the recorded conversation, and works around from its first request
   * the quirks the server showed before, rather than being refused once again.
   */
  resumeAfter?(recorded: RecordedCalls): void;
}

/** What a resumed run's record holds of one policy's calls. */
export interface RecordedCalls {
  answers: number;
  /** The quirks the calls were worked around for (their turns' `workarounds`); none recorded when absent. */
  workarounds?: readonly string[];
}

/**
 * The model server failed (after retries) or refused the request: an infrastructure failure, never a
 * wrong answer by the agent. `status` is the HTTP status when there was one.
 */
export class PolicyError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
    /** Set when the server said the request is longer than the model's context: what it said of the sizes. */
    readonly overflow?: ContextOverflow,
    /** The known server quirk the refusal showed (`vllm-tool-parser`, `llamacpp-jinja`, …). */
    readonly quirk?: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

/**
 * Whether every later request to the server would be refused as this one was: a known set-up problem (tool calling
 * off, an account out of credit, a model served only through another API) or a refusal of the key or the model (401,
 * 403, 404). A refusal of this request's content (another 400, a prompt too long) is not.
 */
export function refusesEveryRequest(error: unknown): error is PolicyError {
  if (!(error instanceof PolicyError) || error.retryable || error.overflow) return false;
  return error.quirk !== undefined || [401, 403, 404].includes(error.status ?? 0);
}

/** What a server's "too long" answer says; either number may be missing. */
export interface ContextOverflow {
  /** The context window the server enforces. */
  limit?: number;
  /** The prompt's size in the server's own tokens. */
  promptTokens?: number;
}

/**
 * The policy as a run records it: the `model` of its metadata, and the set-up that makes the run
 * reproducible from its file (the knobs as given, the server, the context window and prices with their
 * sources), kept in the metadata's `extra.model_setup`.
 */
export function recordedModel(info: PolicyInfo): {
  model: { name: string; provider: string; parameters: Record<string, unknown> };
  setup: Record<string, unknown>;
} {
  return {
    model: { name: info.model, provider: info.backend, parameters: info.parameters },
    setup: Object.fromEntries(
      Object.entries({
        base_url: info.baseURL,
        server: info.server,
        settings: info.settings,
        context_window: info.contextWindow,
        prices: info.prices,
      }).filter(([, value]) => value !== undefined),
    ),
  };
}
