import assert from 'node:assert/strict';
/** Real processes for the queue tests: a redis-server on a loopback port with AOF, and `rollout worker`s. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../../../src/core/paths';
import { dockerClient, LABELS } from '../../../src/core/sandbox/engine';
import { portJustFreed } from '../../support/serverOnFreePort';

// packageRoot, not a path from __dirname: the fault suite bundles this file at another depth under out/.
export const ROOT = packageRoot();
export const CLI = join(ROOT, 'dist', 'cli.js');
export const TASKS = join(ROOT, 'tasks', 'examples');
const S3_SERVER_SCRIPT = join(ROOT, 'sandbox', 'queue', 's3-server.sh');

/**
 * redis-server with AOF in a temp folder, listening on a socket file there (no TCP port, so nothing can take its
 * address between a start and a restart); restartable on the same socket and data.
 */
export class RedisProcess {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'rollout-redis-'));

  private constructor() {}

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess();
    await redis.launch();
    return redis;
  }

  get socket(): string {
    return join(this.dir, 'redis.sock');
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  private async launch(): Promise<void> {
    // Fails loudly when redis-server is missing: `bash sandbox/queue/setup-redis.sh` installs it.
    const child = spawn(
      'redis-server',
      // `--port 0`: no TCP listener at all.
      ['--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '700'].concat([
        '--appendonly',
        'yes',
        '--save',
        '',
        '--dir',
        this.dir,
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (error) => reject(new Error(`redis-server did not start: ${error.message}`))),
    );
    for (let waited = 0; !/ready to accept connections/i.test(output); waited += 50) {
      if (waited > 10_000 || child.exitCode !== null)
        throw new Error(`redis-server did not start on ${this.socket}:\n${output}`);
      await Promise.race([sleep(50), spawnError]);
    }
    this.child = child;
  }

  /** A clean shutdown (SIGTERM: Redis flushes its AOF), then a start on the same port and data folder. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** A real S3-compatible store: Ceph's RADOS Gateway on a one-monitor, one-OSD cluster (sandbox/queue/s3-server.sh). */
export class S3Server {
  static readonly accessKey = 'rollout-test';
  static readonly secretKey = 'rollout-test-secret';

  private constructor(
    readonly endpoint: string,
    readonly dir: string,
  ) {}

  /**
   * Starts on a port found free, and on another one when something took that port (or the next 20 the cluster
   * binds) before the server bound it; a started server keeps its port to the end.
   */
  static async start(): Promise<S3Server> {
    for (let tries = 1; ; tries++) {
      const dir = mkdtempSync(join(tmpdir(), 'rollout-s3-'));
      // Fails loudly when Ceph is missing: `bash sandbox/queue/setup-s3.sh` installs it.
      const started = await runProcess('bash', [S3_SERVER_SCRIPT, 'start', dir, String(await portJustFreed())]);
      const endpoint = /^endpoint=(\S+)$/m.exec(started.output)?.[1];
      if (started.status === 0 && endpoint) return new S3Server(endpoint, dir);
      rmSync(dir, { recursive: true, force: true });
      if (tries === 3 || !/in use/i.test(started.output))
        throw new Error(`the S3 test server did not start:\n${started.output}`);
    }
  }

  /** The AWS SDK settings that point a process at this store. */
  get env(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: S3Server.accessKey,
      AWS_SECRET_ACCESS_KEY: S3Server.secretKey,
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: 'us-east-1',
    };
  }

  async stop(): Promise<void> {
    await runProcess('bash', [S3_SERVER_SCRIPT, 'stop', this.dir]);
  }
}

function runProcess(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ status: null, output: `${output}${error.message}` }));
    child.once('exit', (status) => resolve({ status, output }));
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
}

/** A `rollout worker` process on `queueUrl`, with `env` added to this process's environment. */
export function startWorker(queueUrl: string, extraArgs: string[] = [], env?: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', queueUrl, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : undefined,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

export interface QueueTestBed {
  readonly redis: RedisProcess;
  /** The workers started through `startWorker`, in order. */
  readonly workers: readonly WorkerProcess[];
  /** Starts a `rollout worker` on this Redis, `env` added; it is stopped after the file's tests if still running. */
  startWorker(extraArgs?: string[], env?: Record<string, string>): WorkerProcess;
  /** Stops every worker started so far, paused ones too: a test's workers must not take the next test's jobs. */
  stopWorkers(): Promise<void>;
  /** `rollout run ARGS --queue` on this Redis, which must succeed; the run ids it queued, in order, and its output. */
  enqueue(runArgs: string[]): Promise<{ runIds: string[]; output: string }>;
}

/** Registers a test file's hooks: one redis-server (AOF on) for its tests, and every worker they start, all stopped after them. */
export function queueTestBed(): QueueTestBed {
  let redis: RedisProcess | undefined;
  const workers: WorkerProcess[] = [];
  before(async () => {
    redis = await RedisProcess.start();
  });
  const stopWorkers = async () => {
    // A paused (SIGSTOPped) worker cannot act on SIGTERM until it is woken.
    for (const worker of workers) worker.child.kill('SIGCONT');
    await Promise.all(workers.map(stopWorker));
  };
  after(async () => {
    await stopWorkers();
    await redis?.stop();
  });
  return {
    get redis(): RedisProcess {
      if (!redis) throw new Error("the test file's Redis starts in its before hook");
      return redis;
    },
    workers,
    startWorker(extraArgs = [], env) {
      const worker = startWorker(this.redis.url, extraArgs, env);
      workers.push(worker);
      return worker;
    },
    stopWorkers,
    async enqueue(runArgs) {
      const { status, output } = await runCli(['run', ...runArgs, '--queue', this.redis.url]);
      assert.equal(status, 0, output);
      return { runIds: [...output.matchAll(/^queued (\S+)$/gm)].map((match) => match[1]), output };
    },
  };
}

export async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await exited;
}

/** Runs the CLI to its end; resolves to its exit code and output. */
export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return runProcess(process.execPath, [CLI, ...args], env);
}

export async function containersWithLabel(label: string, value: string): Promise<number> {
  const containers = await dockerClient().listContainers({ all: true, filters: { label: [`${label}=${value}`] } });
  return containers.length;
}

export const ownerPidLabel = LABELS.ownerPid;
export const runIdLabel = LABELS.runId;

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  describe?: () => string,
): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(100)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${describe ? `\n${describe()}` : ''}`);
}
