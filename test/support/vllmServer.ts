/**
 * A test double for vLLM's OpenAI-compatible server (`vllm serve`), as its source and docs describe it:
 * - GET /v1/models lists the model card with `owned_by: "vllm"`, `root` and `max_model_len`;
 * - a request with `tools` defaults `tool_choice` to "auto", which without `--enable-auto-tool-choice
 *   --tool-call-parser …` is refused: 400 `"auto" tool choice requires --enable-auto-tool-choice and
 *   --tool-call-parser to be set`;
 * - a prompt plus `max_tokens` past `max_model_len` is refused with 400 "This model's maximum context length
 *   is … However, you requested … output tokens and your prompt contains … input tokens, …";
 * - `stream_options` without `stream` is refused;
 * - with `--tokenizer-mode mistral`, mistral_common checks the messages before rendering them (see mistralServer.ts);
 * - without `--reasoning-parser`, a reasoning model's reply is its text as the model wrote it, `<think>…</think>`
 *   and all; with one, the reasoning comes in the message's (and each delta's) `reasoning` field; releases
 *   before vLLM PR 27752 (Oct 2025) name it `reasoning_content`, and those after it until the old name was
 *   removed (PR 33402, Jan 2026) send the same text under both names;
 * - errors are `{"error": {"message", "type": "BadRequestError", "param", "code": 400}}`; before 0.10.1
 *   (vllm-project/vllm#22099) their fields were at the top, `{"object": "error", "message", "type", "param",
 *   "code"}`, as SGLang still sends them.
 */
import { promptTokens, type Answer, type RecordedRequest, type ScriptStep } from './scriptedServer';
import { mistralCallId, mistralRefusal, type MistralChecks, type MistralMessage } from './mistralServer';
import { ScriptedOpenAIServer, type CompletionParts, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface VllmServerOptions extends ScriptedOpenAIServerOptions {
  /** `--max-model-len` (default 32768). */
  maxModelLen?: number;
  /** Started with `--enable-auto-tool-choice --tool-call-parser hermes` (default true). */
  toolParser?: boolean;
  /** Started with `--reasoning-parser …` (default true). */
  reasoningParser?: boolean;
  /** Which release's field names carry the reasoning (default `current`: `reasoning` alone). */
  reasoningNames?: VllmReasoningNames;
  /** The shape of error bodies: `nested` from 0.10.1 on (default), `flat` before. */
  errorShape?: VllmErrorShape;
  /** Started with `--tokenizer-mode mistral` for a model of this Mistral tokenizer's checks (default: none). */
  mistralTokenizer?: MistralChecks;
}

export type VllmErrorShape = 'nested' | 'flat';

/** The reasoning field of each era of vLLM: before the rename, during the deprecation, after the removal. */
const REASONING_FIELDS = {
  'before-rename': ['reasoning_content'],
  deprecation: ['reasoning', 'reasoning_content'],
  current: ['reasoning'],
};
export type VllmReasoningNames = keyof typeof REASONING_FIELDS;

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  404: 'NotFoundError',
  500: 'InternalServerError',
};

export class VllmServer extends ScriptedOpenAIServer {
  constructor(
    steps: ScriptStep[],
    private readonly vllm: VllmServerOptions = {},
  ) {
    super(steps, vllm);
  }

  get maxModelLen(): number {
    return this.vllm.maxModelLen ?? 32768;
  }

  protected modelCard(): Record<string, unknown> {
    return {
      id: this.model,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'vllm',
      root: this.model,
      parent: null,
      max_model_len: this.maxModelLen,
      permission: [
        { id: 'modelperm-scripted', object: 'model_permission', allow_sampling: true, allow_logprobs: true },
      ],
    };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const body = request.body ?? {};
    if (body.stream_options && !body.stream)
      return this.errorAnswer(400, 'Stream options can only be defined when `stream=True`.');
    const tools = Array.isArray(body.tools) && body.tools.length > 0;
    const toolChoice = body.tool_choice ?? (tools ? 'auto' : 'none');
    if (toolChoice === 'auto' && this.vllm.toolParser === false)
      return this.errorAnswer(
        400,
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      );
    const mistral =
      this.vllm.mistralTokenizer &&
      mistralRefusal((body.messages ?? []) as MistralMessage[], this.vllm.mistralTokenizer);
    if (mistral) return this.errorAnswer(400, mistral);
    const prompt = promptTokens(body);
    const requested = (body.max_completion_tokens ?? body.max_tokens ?? 0) as number;
    if (prompt + requested > this.maxModelLen)
      return this.errorAnswer(
        400,
        `This model's maximum context length is ${this.maxModelLen} tokens. However, you requested ${requested} output tokens and your prompt contains ${prompt} input tokens, for a total of ${prompt + requested} tokens. Please reduce the length of the input prompt or the number of requested output tokens.`,
      );
    return undefined;
  }

  /** vLLM's Mistral tool parser makes ids as Mistral does; the others make `chatcmpl-tool-…` ones (any id here). */
  protected callId(completion: number, i: number): string {
    return this.vllm.mistralTokenizer ? mistralCallId(completion, i) : super.callId(completion, i);
  }

  protected errorAnswer(status: number, message: string): Answer {
    const error = {
      message,
      type: ERROR_TYPES[status] ?? 'BadRequestError',
      param: status === 400 ? 'input_tokens' : null,
      code: status,
    };
    return { status, json: this.vllm.errorShape === 'flat' ? { object: 'error', ...error } : { error } };
  }

  protected get reasoningFields(): string[] {
    return REASONING_FIELDS[this.vllm.reasoningNames ?? 'current'];
  }

  protected get reasoningInText(): boolean {
    return this.vllm.reasoningParser === false;
  }

  /** vLLM reports no cached tokens unless started with --enable-prompt-tokens-details; it sets no fingerprint. */
  protected decorate(completion: Record<string, unknown>, _parts: CompletionParts): void {
    completion.system_fingerprint = null;
  }
}
