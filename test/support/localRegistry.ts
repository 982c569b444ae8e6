/**
 * A real image registry for tests: Debian's docker-registry (the CNCF distribution registry) on a loopback port
 * the OS picks, storing in a temporary folder. The engine pushes to and pulls from `localhost:PORT/...` without
 * TLS, as it does for any registry on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRegistry {
  /** `localhost:PORT`, the registry part of image names. */
  host: string;
  stop(): Promise<void>;
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      '  addr: 127.0.0.1:0',
      '',
    ].join('\n'),
  );
  const server = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(server);
  return {
    host: `localhost:${port}`,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The registry logs `listening on 127.0.0.1:PORT` once it accepts connections. */
function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      if (port) {
        server.stdout?.off('data', onData);
        server.stderr?.off('data', onData);
        server.stdout?.resume();
        server.stderr?.resume();
        resolve(Number(port));
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.once('error', (error) =>
      reject(new Error(`docker-registry did not start (${error.message}): run sandbox/registry/setup-registry.sh`)),
    );
    server.once('exit', (code) => reject(new Error(`docker-registry exited (${code}) before listening:\n${log}`)));
  });
}
