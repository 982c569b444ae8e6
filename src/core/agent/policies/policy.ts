/**
 * A model backend: given the conversation so far (OpenAI chat format) and the tools, it returns the next
 * assistant message. Every backend is one file that implements `Policy`; the agent loop knows only this.
 */
import type { ToolDefinition } from '../tools/tool';

export interface ToolCall {
  id: string;
  type: 'function';
  function: {
    name: string;
    /** The arguments exactly as the model wrote them: a JSON string, possibly malformed. */
    arguments: string;
  };
}

export interface SystemMessage {
  role: 'system';
  content: string;
}

export interface UserMessage {
  role: 'user';
  content: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
}

export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** One message of a conversation in OpenAI chat-completions format. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface PolicyRequest {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  signal?: AbortSignal;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of `promptTokens`, those served from the server's prompt cache (OpenAI `prompt_tokens_details.cached_tokens`). */
  cachedPromptTokens?: number;
  /** Of `completionTokens`, those spent reasoning (OpenAI `completion_tokens_details.reasoning_tokens`). */
  reasoningTokens?: number;
}

/** The log-probability of one generated token, as OpenAI-compatible servers report it. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  topLogprobs?: { token: string; logprob: number }[];
}

export interface PolicyResponse {
  message: AssistantMessage;
  usage: TokenUsage;
  /** US dollars, when the server reports it or the policy was given prices. */
  cost?: number;
  /** Per generated token, when the server returns them (OpenAI `logprobs`). */
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
  /** Reasoning text returned beside the message (`reasoning_content`, Anthropic thinking), never sent back. */
  reasoning?: string;
  /** Wall time of the whole call, retries and backoff included. */
  modelMs: number;
  /** Attempts that failed and were retried before this response (429, 5xx, timeouts). */
  retries: number;
}

/** What a run records about the policy: never a key. */
export interface PolicyInfo {
  backend: 'openai' | 'anthropic' | 'replay' | 'vscode-lm';
  model: string;
  baseURL?: string;
  /** Sampling parameters sent with every request (temperature, max tokens, …). */
  parameters: Record<string, unknown>;
}

export interface Policy {
  readonly info: PolicyInfo;
  next(request: PolicyRequest): Promise<PolicyResponse>;
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
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
