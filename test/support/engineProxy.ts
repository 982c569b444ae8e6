import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createConnection, type AddressInfo, type Socket } from 'node:net';
import { DockerSandbox } from '../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../src/core/sandbox/engine';
import type { SandboxSpec } from '../../src/core/sandbox/sandbox';

const ENGINE_SOCKET = '/var/run/docker.sock';

/** The engine's API on a loopback TCP port, through a proxy that the tests can watch and make fail. */
export interface EngineProxy {
  /** The proxy's address, for `dockerHost`. */
  address: string;
  /** How many hijacked streams (attaches and exec starts) are open between the client and the proxy. */
  openStreams(): number;
  close(): Promise<void>;
}

/**
 * Forwards every request as it is, except that the input of each hijacked stream (what is written to its process's
 * standard input) is ended after `cutInputAfter` bytes when that is given, the rest dropped: a proxy that cuts one
 * way of a connection.
 */
export async function engineProxy(cutInputAfter = Number.POSITIVE_INFINITY): Promise<EngineProxy> {
  const streams = new Set<Socket>();
  const server = createServer((request, response) => {
    const { method, url: path, headers } = request;
    const forwarded = httpRequest({ socketPath: ENGINE_SOCKET, method, path, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(forwarded);
  });
  // A hijacked stream asks for an upgrade: from there on the connection carries the process's streams.
  server.on('upgrade', (request: IncomingMessage, client: Socket, head: Buffer) => {
    streams.add(client);
    client.on('close', () => streams.delete(client));
    const engine = createConnection({ path: ENGINE_SOCKET, allowHalfOpen: true });
    const headers = request.rawHeaders.map((field, index) => (index % 2 ? `${field}\r\n` : `${field}: `)).join('');
    // The request's body (docker-modem sends the options again as JSON) goes with its head, as the client sent it.
    engine.write(Buffer.concat([Buffer.from(`${request.method} ${request.url} HTTP/1.1\r\n${headers}\r\n`), head]));
    engine.pipe(client);
    client.on('error', () => engine.destroy());
    client.on('close', () => engine.destroy());
    engine.on('error', () => client.destroy());
    let inputBytes = 0;
    const forward = (chunk: Buffer) => {
      const kept = chunk.subarray(0, Math.max(0, cutInputAfter - inputBytes));
      if (kept.length > 0) engine.write(kept);
      inputBytes += chunk.length;
      if (inputBytes >= cutInputAfter && engine.writable) engine.end();
    };
    client.on('data', forward);
    // The client's end of its input reaches the engine as it would on a connection of their own.
    client.on('end', () => engine.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    openStreams: () => streams.size,
    close: async () => {
      for (const stream of streams) stream.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * What creating a sandbox from `spec` fails with when the engine's connection cuts what the start writes to the
 * container's standard input after `keptBytes` (undefined where it wrongly succeeds); either way no container is
 * left behind.
 */
export async function startFailureWithInputCut(spec: SandboxSpec, keptBytes: number): Promise<unknown> {
  const proxy = await engineProxy(keptBytes);
  const containersBefore = (await dockerClient().listContainers({ all: true })).length;
  try {
    const failure = await DockerSandbox.create({ ...spec, dockerHost: proxy.address }).then(
      (sandbox) => sandbox.destroy(),
      (error: unknown) => error,
    );
    assert.equal((await dockerClient().listContainers({ all: true })).length, containersBefore);
    return failure;
  } finally {
    await proxy.close();
  }
}
