import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createConnection, type AddressInfo, type Socket } from 'node:net';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../src/core/sandbox/engine';
import type { SandboxSpec } from '../../src/core/sandbox/sandbox';

const ENGINE_SOCKET = '/var/run/docker.sock';

/**
 * The engine's API on a loopback TCP port, every request forwarded as it is, except that the input of a container's
 * attach (what is written to its standard input) is ended after `keptBytes`, the rest dropped: a proxy that cuts
 * one way of a connection.
 */
async function engineCuttingAttachInput(keptBytes: number): Promise<{ server: Server; address: string }> {
  const server = createServer((request, response) => {
    const { method, url: path, headers } = request;
    const forwarded = httpRequest({ socketPath: ENGINE_SOCKET, method, path, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(forwarded);
  });
  // A hijacked attach asks for an upgrade: from there on the connection carries the container's streams.
  server.on('upgrade', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const engine = createConnection({ path: ENGINE_SOCKET, allowHalfOpen: true });
    const headers = request.rawHeaders.map((field, index) => (index % 2 ? `${field}\r\n` : `${field}: `)).join('');
    // The request's body (docker-modem sends the options again as JSON) goes with its head, as the client sent it.
    engine.write(Buffer.concat([Buffer.from(`${request.method} ${request.url} HTTP/1.1\r\n${headers}\r\n`), head]));
    engine.pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
    let inputBytes = 0;
    const forward = (chunk: Buffer) => {
      const kept = chunk.subarray(0, Math.max(0, keptBytes - inputBytes));
      if (kept.length > 0) engine.write(kept);
      inputBytes += chunk.length;
      if (inputBytes >= keptBytes && engine.writable) engine.end();
    };
    client.on('data', forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * What creating a sandbox from `spec` fails with when the engine's connection cuts what the start writes to the
 * container's standard input after `keptBytes` (undefined where it wrongly succeeds); either way no container is
 * left behind.
 */
export async function startFailureWithInputCut(spec: SandboxSpec, keptBytes: number): Promise<unknown> {
  const proxy = await engineCuttingAttachInput(keptBytes);
  const containersBefore = (await dockerClient().listContainers({ all: true })).length;
  try {
    const failure = await DockerSandbox.create({ ...spec, dockerHost: proxy.address }).then(
      (sandbox) => sandbox.destroy(),
      (error: unknown) => error,
    );
    assert.equal((await dockerClient().listContainers({ all: true })).length, containersBefore);
    return failure;
  } finally {
    await new Promise((resolve) => proxy.server.close(resolve));
  }
}
