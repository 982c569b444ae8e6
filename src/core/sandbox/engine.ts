import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError } from './sandbox';

/** Labels on every container and snapshot image this tool makes, so a reaper can find what a dead process left. */
export const LABELS = {
  tool: 'rollout-studio.tool',
  ownerPid: 'rollout-studio.owner-pid',
  ownerHost: 'rollout-studio.owner-host',
  runId: 'rollout-studio.run-id',
} as const;
export const TOOL_NAME = 'rollout-studio';

export function ownerLabels(runId: string): Record<string, string> {
  return {
    [LABELS.tool]: TOOL_NAME,
    [LABELS.ownerPid]: String(process.pid),
    [LABELS.ownerHost]: hostname(),
    [LABELS.runId]: runId,
  };
}

/** The engine's address as a person would write it: DOCKER_HOST or the local socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/**
 * A client for the engine at `host`, written like DOCKER_HOST (unix://PATH, tcp://HOST:PORT, ssh://USER@HOST);
 * without one, the engine named by DOCKER_HOST or the local socket. TLS over TCP follows the DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH conventions, as the docker CLI does.
 */
export function dockerClient(host?: string): Docker {
  if (!host) return new Docker();
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.includes('//') ? host : `tcp://${host}`);
  if (url.protocol === 'ssh:') {
    return new Docker({
      protocol: 'ssh',
      host: url.hostname,
      port: url.port || 22,
      username: url.username || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    });
  }
  if (url.protocol !== 'tcp:') throw new Error(`docker host ${host}: expected unix://, tcp:// or ssh://`);
  const tls = process.env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const certs = tls && process.env.DOCKER_CERT_PATH ? tlsFiles(process.env.DOCKER_CERT_PATH) : {};
  return new Docker({
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    ...certs,
  });
}

function tlsFiles(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  return {
    ca: readFileSync(join(dir, 'ca.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    key: readFileSync(join(dir, 'key.pem')),
  };
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/** Turns the engine's low-level failures into errors that say what broke and how to fix it. */
export function explainEngineError(error: unknown, image?: string, host = engineAddress()): Error {
  const err = error as { code?: string; statusCode?: number; message?: string };
  if (err.code && UNREACHABLE_CODES.has(err.code)) {
    return new InfrastructureError(
      `Docker engine not reachable at ${host} (${err.code})`,
      'start it with `sudo bash sandbox/setup.sh`, or point DOCKER_HOST at a running engine',
    );
  }
  if (image && err.statusCode === 404 && /no such image|not found/i.test(err.message ?? '')) {
    const profile = /^rollout-studio\/([\w-]+):/.exec(image)?.[1];
    return new InfrastructureError(
      `image ${image} not found on the engine at ${host}`,
      profile ? `build it with \`rollout images build ${profile}\`` : `pull or build ${image} first`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
