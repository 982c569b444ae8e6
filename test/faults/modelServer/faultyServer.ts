/**
 * An OpenAI chat-completions endpoint that fails the way real servers and proxies fail: the connection reset,
 * a 5xx with OpenAI's error body, a stream that trickles keep-alive comments and never finishes, a 200 whose
 * body is not JSON, an SSE stream cut after its first chunks (no finish_reason, no `data: [DONE]`), and a
 * request never answered. It counts the requests it got.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SERVER_FAULTS = ['reset', 'http_503', 'trickle', 'malformed_json', 'truncated_sse', 'hang'] as const;
export type ServerFault = (typeof SERVER_FAULTS)[number];

/** The first chunk of a streamed tool call, as OpenAI sends it. */
function firstChunk(): string {
  const chunk = {
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fault-model',
    choices: [
      {
        index: 0,
        delta: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{"command": "ec' } },
          ],
        },
        finish_reason: null,
      },
    ],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export class FaultyOpenAIServer {
  requests = 0;
  private readonly open = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly fault: ServerFault,
  ) {}

  static async start(fault: ServerFault): Promise<FaultyOpenAIServer> {
    const server = createServer();
    const faulty = new FaultyOpenAIServer(server, fault);
    server.on('request', (request, response) => faulty.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return faulty;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    this.requests++;
    this.open.add(response);
    response.once('close', () => this.open.delete(response));
    const sse = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
    switch (this.fault) {
      case 'reset':
        request.socket.destroy();
        return;
      case 'http_503':
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error', code: null } }),
        );
        return;
      case 'trickle': {
        response.writeHead(200, sse);
        response.write(firstChunk());
        const timer = setInterval(() => response.write(': keep-alive\n\n'), 100);
        this.timers.add(timer);
        response.once('close', () => clearInterval(timer));
        return;
      }
      case 'malformed_json':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"id": "chatcmpl-fault", "choices": [{"message": {"role": "assistant", "content": "Hel');
        return;
      case 'truncated_sse':
        response.writeHead(200, sse);
        response.end(firstChunk());
        return;
      case 'hang':
        return;
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const response of this.open) response.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
