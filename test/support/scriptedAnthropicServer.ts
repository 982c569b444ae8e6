/**
 * A local test double for Anthropic's paid API: a real HTTP server on 127.0.0.1 that speaks the
 * Messages wire protocol (POST /v1/messages, non-streaming) and answers from the same script steps as
 * the OpenAI double. Requests are recorded for assertions.
 */
import { roughTokens, ScriptedServer, type RecordedRequest, type ScriptStep } from './scriptedOpenAIServer';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export class ScriptedAnthropicServer extends ScriptedServer {
  private messageCount = 0;

  private constructor(
    steps: ScriptStep[],
    private readonly apiKey: string | undefined,
  ) {
    super(steps);
  }

  /** With `apiKey`, requests that do not carry that key get a 401 like Anthropic's. */
  static async start(steps: ScriptStep[] = [], options: { apiKey?: string } = {}): Promise<ScriptedAnthropicServer> {
    const server = new ScriptedAnthropicServer(steps, options.apiKey);
    await server.listen();
    return server;
  }

  /** The base URL the Anthropic SDK takes (without `/v1`). */
  get baseURL(): string {
    return this.origin;
  }

  protected route(request: RecordedRequest) {
    // Anthropic takes the key as `x-api-key` or, as SDK 1.x sends it, `Authorization: Bearer`.
    const given = request.headers['x-api-key'] ?? request.headers.authorization?.toString().replace(/^Bearer /, '');
    if (this.apiKey && given !== this.apiKey) return { status: 401, json: this.errorBody(401, 'invalid API key') };
    if (!request.headers['anthropic-version'])
      return { status: 400, json: this.errorBody(400, 'anthropic-version header is required') };
    if (request.method === 'POST' && request.path === '/v1/messages') return undefined;
    return { status: 404, json: this.errorBody(404, `no route ${request.method} ${request.path}`) };
  }

  protected errorBody(status: number, message: string): unknown {
    return {
      type: 'error',
      error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
    };
  }

  protected render(scripted: Exclude<ScriptStep, { type: 'dynamic' | 'http_error' }>, request: RecordedRequest) {
    const index = this.messageCount++;
    const content: unknown[] = [];
    if (scripted.content) content.push({ type: 'text', text: scripted.content });
    if (scripted.type === 'tool_calls') {
      scripted.calls.forEach((call, i) => {
        // The Messages API carries tool input as an object, so a malformed-JSON step cannot be expressed here.
        const input = typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments;
        content.push({ type: 'tool_use', id: call.id ?? `toolu_${index}_${i}`, name: call.name, input });
      });
    }
    const usage = scripted.usage ?? {
      prompt_tokens: roughTokens(request.body?.messages),
      completion_tokens: roughTokens(content),
    };
    return {
      status: 200,
      json: {
        id: `msg_scripted_${index}`,
        type: 'message',
        role: 'assistant',
        model: request.body?.model,
        content,
        stop_reason: scripted.type === 'tool_calls' ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
      },
    };
  }
}
