/**
 * A Docker engine of the test's own: a second `dockerd` with its own data root, exec root (and so its own
 * containerd), pid file and socket under a temporary folder, in a network namespace of its own with no bridge or
 * iptables rules, so restarting it cannot touch the machine's engine, its containers or its network. (In the
 * host's namespace, a dockerd started with `--bridge=none` deletes the `docker0` bridge the machine's engine
 * uses.) Its unix socket is reached from any namespace. Root only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerClient } from '../../../src/core/sandbox/engine';

const READY_WITHIN_MS = 120_000;

export class PrivateEngine {
  private daemon?: ChildProcess;

  private constructor(readonly folder: string) {}

  /** `unix://…` address of its socket, for `--docker-host`. */
  get host(): string {
    return `unix://${join(this.folder, 'docker.sock')}`;
  }

  static async start(): Promise<PrivateEngine> {
    // A short path: a unix socket's path is limited to 107 bytes.
    const engine = new PrivateEngine(mkdtempSync('/tmp/rollout-dockerd-'));
    try {
      await engine.startDaemon();
    } catch (error) {
      await engine.stop();
      throw error;
    }
    return engine;
  }

  /** Copies `image` from the machine's engine into this one (`docker save | docker load`). */
  async load(image: string): Promise<void> {
    const copy = spawn('sh', ['-c', 'docker save "$1" | docker -H "$2" load', 'copy', image, this.host], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    copy.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const code = await new Promise((resolve) => copy.once('exit', resolve));
    if (code !== 0)
      throw new Error(`copying ${image} into the engine at ${this.host} failed (exit ${code}): ${errors}`);
  }

  /** Stops the daemon (SIGTERM: it stops its containers, as a restart of the service does) and starts it again. */
  async restart(): Promise<void> {
    await this.stopDaemon();
    await this.startDaemon();
  }

  /** Stops the daemon and removes its folders. */
  async stop(): Promise<void> {
    await this.stopDaemon();
    rmSync(this.folder, { recursive: true, force: true });
  }

  /** Its log so far, for a failure message. */
  log(): string {
    return readFileSync(join(this.folder, 'dockerd.log'), 'utf8');
  }

  private async startDaemon(): Promise<void> {
    const log = openSync(join(this.folder, 'dockerd.log'), 'a');
    const args = [
      `--data-root=${join(this.folder, 'data')}`,
      `--exec-root=${join(this.folder, 'exec')}`,
      `--pidfile=${join(this.folder, 'dockerd.pid')}`,
      `--host=${this.host}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
    ];
    // unshare execs dockerd in the new namespace: the child is dockerd itself, and SIGTERM reaches it.
    this.daemon = spawn('unshare', ['--net', '--', 'dockerd', ...args], { stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<never>((_, reject) =>
      this.daemon?.once('exit', (code) => reject(new Error(`dockerd exited ${code}:\n${this.log().slice(-2000)}`))),
    );
    exited.catch(() => undefined);
    const docker = dockerClient(this.host);
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      const ready = await Promise.race([
        docker.ping().then(
          () => true,
          () => false,
        ),
        exited,
      ]);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`dockerd not ready at ${this.host}:\n${this.log().slice(-2000)}`);
      await sleep(200);
    }
  }

  private async stopDaemon(): Promise<void> {
    const daemon = this.daemon;
    this.daemon = undefined;
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
  }
}
