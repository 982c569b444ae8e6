/**
 * What model servers say when they refuse a request, read into facts: a prompt longer than the context (with
 * the sizes, where the server gives them), or a known set-up problem with its fix. Each pattern is the
 * server's own wording, quoted in the tests of the server it comes from.
 */
import type { ContextOverflow } from './policy';
import { NO_RESPONSE } from './requestAsSent';

/** A refusal that retrying cannot fix, and what the user should do. */
export interface ServerQuirk {
  name: QuirkName;
  hint: string;
}

export type QuirkName =
  | 'vllm-tool-parser'
  | 'llamacpp-jinja'
  | 'llamacpp-stream-tools'
  | 'ollama-no-tools'
  | 'openai-quota'
  | 'stream-options'
  | 'reasoning-field-refused'
  | 'empty-assistant-refused'
  | 'assistant-content-and-calls-refused'
  | 'user-after-tool-refused'
  | 'logprobs-refused'
  | 'responses-api-only'
  | 'encrypted-reasoning-refused';

const QUIRKS: { name: QuirkName; pattern: RegExp; hint: string }[] = [
  {
    name: 'vllm-tool-parser',
    pattern: /"auto" tool choice requires --enable-auto-tool-choice/,
    hint: 'this vLLM server has tool calling off: start it with --enable-auto-tool-choice --tool-call-parser hermes (Qwen2.5, Qwen3, Hermes; llama3_json for Llama 3.x, mistral for Mistral)',
  },
  {
    name: 'llamacpp-jinja',
    pattern: /tools param requires --jinja/,
    hint: 'this llama.cpp server has tool calling off: start llama-server with --jinja (and --chat-template-file when the model has no tool-aware template)',
  },
  {
    name: 'llamacpp-stream-tools',
    pattern: /Cannot use tools with stream/,
    hint: 'this llama.cpp build cannot stream replies with tools; requests go without streaming',
  },
  {
    name: 'ollama-no-tools',
    pattern: /does not support tools/,
    hint: 'this Ollama model has no tool calling: pick one whose `ollama show MODEL` lists the tools capability (qwen2.5-coder, qwen3, llama3.1, mistral-nemo, …)',
  },
  {
    name: 'openai-quota',
    // OpenAI's code alone: Gemini says "You exceeded your current quota" of a per-minute limit (RESOURCE_EXHAUSTED).
    pattern: /insufficient_quota/,
    hint: 'the account is out of credit: waiting will not help; add credit or use another key',
  },
  {
    // Groq's wording (karthink/gptel#774, janhq/jan#8136); a field-by-field validator names the field as it refuses,
    // OpenRouter's `reasoning_details` too where it goes back.
    name: 'reasoning-field-refused',
    pattern:
      /property '(?:reasoning|reasoning_content|reasoning_details)' is unsupported|\breasoning(?:_content|_details)?\b[^\n]{0,40}(?:is not supported|was unexpected|Extra inputs are not permitted)/,
    hint: 'this server takes no reasoning on earlier replies; they go without it (the model sees none of its earlier reasoning)',
  },
  {
    // Mistral's API (OpenHands/OpenHands#8685, solbrowse/extension#16); mistral_common's tokenizers from V7 on; AWS
    // Bedrock, as LiteLLM passes it on (OpenHands/OpenHands#5339).
    name: 'empty-assistant-refused',
    pattern:
      /Assistant message must have either content or tool_calls, but not none|Invalid assistant message: role='assistant' content=''|The text field in the ContentBlock object at messages\.\d+\.content\.\d+ is blank/,
    hint: `this server (Mistral's chat format, AWS Bedrock) takes no empty assistant message; a reply the model left empty goes as '${NO_RESPONSE}'`,
  },
  {
    // mistral_common's check for tokenizers before V7, as vLLM serving such a Mistral model says it; it says "not
    // both" of a message with neither too.
    name: 'assistant-content-and-calls-refused',
    pattern: /Assistant message must have either content or tool_calls, but not both/,
    hint: `this server (Mistral's chat format of tokenizer V3: Mistral 7B v0.3, Mixtral 8x22B, Codestral 22B, Mistral Nemo) takes an assistant message with text or tool calls, not both: replies with calls go without their text, empty ones as '${NO_RESPONSE}'`,
  },
  {
    // mistral_common's wording before 1.11.1, as Mistral's API and vLLM serving Mistral models say it.
    name: 'user-after-tool-refused',
    pattern: /Unexpected role 'user' after role 'tool'/,
    hint: "this server (Mistral's chat format) takes no user message right after a tool result; an assistant message goes between",
  },
  {
    // OpenAI's reasoning models (confident-ai/deepeval#2184: o4-mini, a 403); Gemini (GoogleCloudPlatform/
    // generative-ai#1536, #2947; mscraftsman/generative-ai#135).
    name: 'logprobs-refused',
    pattern: /not allowed to request logprobs|Logprobs is not (?:supported|enabled) for/i,
    hint: 'this model returns no log-probabilities: run it without --logprobs',
  },
  {
    // OpenAI's refusal of a model it serves only through its Responses API (its pro models, o1-pro and o3-pro, and
    // the Codex models), on Chat Completions, as it says it in 2025 and 2026 (with and without a slash before v1).
    name: 'responses-api-only',
    pattern: /only supported in v1\/responses/,
    hint: "this model is served only through OpenAI's Responses API (v1/responses): use the policy openai-responses:MODEL (VS Code: rolloutStudio.model.provider openai-responses)",
  },
  {
    // OpenAI's Responses API, asked for encrypted reasoning (`include: ["reasoning.encrypted_content"]`) by a model
    // that does not reason (gpt-4o, gpt-4.1), as quoted in OpenHands/software-agent-sdk#1208.
    name: 'encrypted-reasoning-refused',
    pattern: /Encrypted content is not supported with this model/,
    hint: 'this model returns no encrypted reasoning (it is no reasoning model); requests go without asking for it',
  },
  {
    name: 'stream-options',
    pattern: /stream_options/,
    hint: 'this server does not know stream_options; requests go without streaming',
  },
];

/** The known quirk a refusal shows, if any. */
export function knownQuirk(text: string): ServerQuirk | undefined {
  const quirk = QUIRKS.find((candidate) => candidate.pattern.test(text));
  return quirk && { name: quirk.name, hint: quirk.hint };
}

const NUMBER = '(\\d[\\d,]*)';
const OVERFLOW_FORMS: { pattern: RegExp; read: (match: RegExpMatchArray) => ContextOverflow }[] = [
  // vLLM (current): "maximum context length is 32768 tokens. However, you requested 2048 output tokens and your
  // prompt contains [at least] 31000 input tokens"; older: "you requested 33000 tokens (31000 in the messages, …)".
  {
    pattern: new RegExp(
      `maximum context length is ${NUMBER} tokens.*?prompt contains (?:at least )?${NUMBER} input tokens`,
      's',
    ),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  {
    pattern: new RegExp(`maximum context length is ${NUMBER} tokens.*?\\(${NUMBER} in the messages`, 's'),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  // vLLM 0.10: "… maximum context length is 32768 tokens and your request has 31000 input tokens".
  {
    pattern: new RegExp(`maximum context length is ${NUMBER} tokens and your request has ${NUMBER} input tokens`),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  // OpenAI: "maximum context length is 128000 tokens. However, your messages resulted in 130050 tokens".
  {
    pattern: new RegExp(`maximum context length is ${NUMBER} tokens.*?resulted in ${NUMBER} tokens`, 's'),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  // OpenRouter's own check, before any provider: "This endpoint's maximum context length is 131072 tokens. However,
  // you requested about 141607 tokens (10535 of text input, 131072 in the output)" (Aider-AI/aider#3721); with tools
  // "(81684 of text input, 3748 of tool input, 120000 in the output)" (boldsoftware/shelley#159). The prompt is the
  // text and the tool input.
  {
    pattern: new RegExp(
      `maximum context length is ${NUMBER} tokens.*?you requested about ${NUMBER} tokens \\(${NUMBER} of text input(?:, ${NUMBER} of tool input)?`,
      's',
    ),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: (toInt(m[3]) ?? 0) + (toInt(m[4]) ?? 0) }),
  },
  // llama.cpp: "request (9412 tokens) exceeds the available context size (8192 tokens)".
  {
    pattern: new RegExp(`request \\(${NUMBER} tokens\\) exceeds the available context size \\(${NUMBER} tokens\\)`),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // LM Studio: "Trying to keep the first 6269 tokens when context the overflows. However, the model is loaded
  // with context length of only 4096 tokens".
  {
    pattern: new RegExp(
      `keep the first ${NUMBER} tokens when context the overflows.*?context length of only ${NUMBER} tokens`,
      's',
    ),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // Anthropic: "prompt is too long: 210000 tokens > 200000 maximum".
  {
    pattern: new RegExp(`prompt is too long: ${NUMBER} tokens > ${NUMBER} maximum`),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // Anthropic: "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000".
  {
    pattern: new RegExp(`exceed context limit: ${NUMBER} \\+ ${NUMBER} > ${NUMBER}`),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[3]) }),
  },
  // SGLang (and vLLM behind some gateways): "Requested token count exceeds the model's maximum context length of
  // 32768 tokens. You requested a total of 34000 tokens: 31952 tokens from the input messages and 2048 tokens for
  // the completion."
  {
    pattern: new RegExp(
      `maximum context length of ${NUMBER} tokens\\. You requested a total of ${NUMBER} tokens: ${NUMBER} tokens from the input messages`,
    ),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[3]) }),
  },
  // SGLang, Together: "The input (41000 tokens) is longer than the model's context length (32768 tokens)."
  {
    pattern: new RegExp(
      `input \\(${NUMBER} tokens\\) is longer than the model's context length \\(${NUMBER} tokens\\)`,
    ),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // SGLang's scheduler: "Input length (41000 tokens) exceeds the maximum allowed length (32767 tokens)"; others:
  // "Input length (265330) exceeds model's maximum context length (262144)."
  {
    pattern: new RegExp(
      `Input length \\(${NUMBER}(?: tokens)?\\) exceeds (?:the maximum allowed length|model's maximum context length) \\(${NUMBER}`,
    ),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // Mistral's API: "Prompt contains 40000 tokens, too large for model with 32768 maximum context length".
  {
    pattern: new RegExp(
      `Prompt contains ${NUMBER} tokens[,;] too large for model with ${NUMBER} maximum context length`,
    ),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // xAI: "This model's maximum prompt length is 131072 but the request contains 537812 tokens".
  {
    pattern: new RegExp(`maximum prompt length is ${NUMBER} but the request contains ${NUMBER} tokens`),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  // Gemini: "The input token count (1196265) exceeds the maximum number of tokens allowed (1048575)".
  {
    pattern: new RegExp(
      `input token count \\(${NUMBER}\\) exceeds the maximum number of tokens allowed \\(${NUMBER}\\)`,
    ),
    read: (m) => ({ promptTokens: toInt(m[1]), limit: toInt(m[2]) }),
  },
  // Moonshot's Kimi API (MoonshotAI/kimi-cli#2011): "Invalid request: Your request exceeded model token limit: 262144
  // (requested: 269030)". What it requested counts the reply's max_tokens too, so only the limit is read.
  { pattern: new RegExp(`exceeded model token limit: ${NUMBER}`), read: (m) => ({ limit: toInt(m[1]) }) },
  // TGI (router/src/validation.rs), a 422: "`inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs`
  // tokens and 200 `max_new_tokens`"; without max_tokens its max_new_tokens is what is left of the window, so a
  // prompt over the window is said this way with 0. Past `--max-input-tokens`: "`inputs` must have less than 4095
  // tokens. Given: 5000".
  {
    pattern: new RegExp(`inputs. tokens \\+ .max_new_tokens. must be <= ${NUMBER}\\. Given: ${NUMBER} .inputs. tokens`),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  {
    pattern: new RegExp(`inputs. must have less than ${NUMBER} tokens\\. Given: ${NUMBER}`),
    read: (m) => ({ limit: toInt(m[1]), promptTokens: toInt(m[2]) }),
  },
  { pattern: new RegExp(`maximum context length (?:is|of) ${NUMBER}`), read: (m) => ({ limit: toInt(m[1]) }) },
];

/**
 * Recognises "the prompt is too long" in a refusal's text. Generic wording counts only on a 400 or 413, so
 * that a 500 mentioning a context is not taken for an overflow.
 */
export function parseContextOverflow(text: string, status: number | undefined): ContextOverflow | undefined {
  for (const form of OVERFLOW_FORMS) {
    const match = form.pattern.exec(text);
    if (match) return form.read(match);
  }
  const generic =
    /context_length_exceeded|exceed_context_size_error|input length exceeds the context length|context window|context length|too many tokens|prompt is too long/i;
  if ((status === 400 || status === 413) && generic.test(text)) return {};
  return undefined;
}

function toInt(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) ? value : undefined;
}
