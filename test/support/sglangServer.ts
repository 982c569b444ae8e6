/**
 * A test double for SGLang's OpenAI-compatible server (`python -m sglang.launch_server`), as its source describes it
 * (`sglang/srt/entrypoints/openai/protocol.py`):
 * - GET /v1/models lists the model card with vLLM's shape but `owned_by: "sglang"`, and `max_model_len` the
 *   context length it serves;
 * - errors are `{"object": "error", "message", "type": "BadRequestError", "param": null, "code": 400}`, its fields
 *   at the top; a prompt plus `max_tokens` past the context length is "Requested token count exceeds the model's
 *   maximum context length of N tokens. You requested a total of T tokens: P tokens from the input messages and M
 *   tokens for the completion. …" (the wording its users quoted, test/unit/agent/overflowWordings.test.ts);
 * - with `--reasoning-parser`, a reasoning model's thought comes in `reasoning_content`; without, in the reply's text,
 *   `<think>…</think>` and all.
 */
import { promptTokens, type Answer, type RecordedRequest, type ScriptStep } from './scriptedServer';
import { ScriptedOpenAIServer, type ScriptedOpenAIServerOptions } from './scriptedOpenAIServer';

export interface SglangServerOptions extends ScriptedOpenAIServerOptions {
  /** `--context-length` (default 32768). */
  contextLength?: number;
  /** Started with `--reasoning-parser …` (default false). */
  reasoningParser?: boolean;
}

export class SglangServer extends ScriptedOpenAIServer {
  constructor(
    steps: ScriptStep[],
    private readonly sglang: SglangServerOptions = {},
  ) {
    super(steps, sglang);
  }

  protected get reasoningFields(): string[] {
    return ['reasoning_content'];
  }

  protected get reasoningInText(): boolean {
    return !this.sglang.reasoningParser;
  }

  private get contextLength(): number {
    return this.sglang.contextLength ?? 32768;
  }

  protected modelCard(): Record<string, unknown> {
    const card = { id: this.model, object: 'model', created: 1_700_000_000, owned_by: 'sglang', root: this.model };
    return { ...card, parent: null, max_model_len: this.contextLength };
  }

  protected refuse(request: RecordedRequest): Answer | undefined {
    const prompt = promptTokens(request.body);
    const asked = request.body?.max_tokens;
    const reply = typeof asked === 'number' ? asked : 0;
    if (prompt + reply <= this.contextLength) return undefined;
    return this.errorAnswer(
      400,
      `Requested token count exceeds the model's maximum context length of ${this.contextLength} tokens. You requested a total of ${prompt + reply} tokens: ${prompt} tokens from the input messages and ${reply} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
    );
  }

  protected errorAnswer(status: number, message: string): Answer {
    return { status, json: { object: 'error', message, type: 'BadRequestError', param: null, code: status } };
  }
}
