/**
 * A registry test double speaking the Docker Registry HTTP API v2 (the distribution spec's pull endpoints) that
 * serves one image whose only layer comes slowly: a mebibyte at once, then 16 KiB every 100 ms of the 64 MiB it
 * announced (about seven minutes, and its digest never matches). It records when the engine closes the layer's
 * transfer before its end, as the engine does once the client of a pull is gone: it notices that when it next
 * writes the pull's progress, so a layer that sent nothing more would be waited for on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowRegistry {
  /** `localhost:PORT/slow/image:latest`: loopback registries are spoken to without TLS. */
  image: string;
  /** Settles when the engine closes a layer transfer it had begun (a cancelled pull), before the layer ended. */
  layerDropped: Promise<void>;
  stop(): Promise<void>;
}

const LAYER_BYTES = 64 * 1024 ** 2;
const SENT_AT_ONCE = 1024 ** 2;
const TRICKLE_BYTES = 16 * 1024;
const TRICKLE_EVERY_MS = 100;
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

const sha256 = (content: Buffer | string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

export async function startSlowRegistry(): Promise<SlowRegistry> {
  const layerDigest = sha256(randomBytes(32));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [sha256(randomBytes(32))] },
    }),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: config.length,
      digest: sha256(config),
    },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: LAYER_BYTES, digest: layerDigest },
    ],
  });
  let dropped: () => void = () => {};
  const layerDropped = new Promise<void>((resolve) => (dropped = resolve));
  const held = new Set<ServerResponse>();
  const send = (response: ServerResponse, type: string, body: Buffer | string, head: boolean) => {
    response.writeHead(200, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Docker-Content-Digest': sha256(body),
      'Docker-Distribution-Api-Version': 'registry/2.0',
    });
    response.end(head ? undefined : body);
  };
  const sendLayerSlowly = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': LAYER_BYTES });
    response.write(randomBytes(SENT_AT_ONCE));
    const trickle = setInterval(() => response.write(randomBytes(TRICKLE_BYTES)), TRICKLE_EVERY_MS);
    held.add(response);
    request.socket.once('close', () => {
      clearInterval(trickle);
      held.delete(response);
      dropped();
    });
  };
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    const head = request.method === 'HEAD';
    if (path === '/v2/') return send(response, 'application/json', '{}', head);
    // The engine asks for the tag, then for the digest the tag named.
    if (/\/manifests\/(latest|sha256:\w+)$/.test(path)) return send(response, MANIFEST_TYPE, manifest, head);
    if (path.endsWith(`/blobs/${sha256(config)}`)) return send(response, 'application/octet-stream', config, head);
    if (path.endsWith(`/blobs/${layerDigest}`) && !head) return sendLayerSlowly(request, response);
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    image: `localhost:${(server.address() as AddressInfo).port}/slow/image:latest`,
    layerDropped,
    async stop() {
      for (const response of held) response.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
