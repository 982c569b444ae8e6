import type Docker from 'dockerode';
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { dockerClient, explainEngineError, ownerLabels } from '../sandbox/engine';
import { InfrastructureError } from '../sandbox/sandbox';
import {
  awaitReady,
  RunnerOutput,
  type RunnerEvent,
  type RunnerHooks,
  type RunnerInvocation,
  type RunnerOutcome,
  type RunningRunner,
  type Supervised,
  type TrainerRunner,
} from './runner';
import { trainerDir } from './venv';

const CONTAINER_TRAINER_DIR = '/opt/rollout-trainer';
const CHECKPOINT_GRACE_MS = 60_000;
const KILL_GRACE_MS = 10_000;
/** The request `docker run --gpus all` sends, field for field. */
const ALL_GPUS: Docker.DeviceRequest = { Driver: '', Count: -1, Capabilities: [['gpu']], Options: {} };

/** The host's Hugging Face cache (HF_HOME, else ~/.cache/huggingface): mounted so a hub model downloads once. */
export function huggingFaceCache(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'));
}

export interface DockerRunnerOptions {
  /** An image with python, torch and the pinned trainer requirements, e.g. one built FROM a CUDA PyTorch image. */
  image: string;
  /** Pass every GPU through (DeviceRequests, the `--gpus all` of the docker CLI); an engine with no GPU runtime refuses to start such a container. */
  gpus: boolean;
  /** The python command inside the image. */
  python?: string;
  /** Extra host folders to mount at the same path, e.g. a python installation the image lacks. */
  extraMounts?: string[];
  /** The Hugging Face cache to share with the container (default: `huggingFaceCache()`). */
  hfCache?: string;
  docker?: Docker;
}

/**
 * Runs the runner in a container: the trainer package is mounted read-only, every path the job
 * names is mounted at its own absolute path (so arguments need no rewriting), and so is the host's
 * Hugging Face cache (HF_HOME points at it: a hub model is downloaded once, not by every container).
 * The container uses the host's network (the server's URL is the host's) and runs as the calling user
 * (outputs stay theirs). The runner launches its own processes inside (torchrun, one per GPU).
 */
export class DockerRunner implements TrainerRunner {
  readonly description: string;
  private readonly docker: Docker;

  constructor(
    private readonly options: DockerRunnerOptions,
    private readonly trainer = trainerDir(),
  ) {
    this.description = `docker ${options.image}${options.gpus ? ' (all GPUs)' : ''}`;
    this.docker = options.docker ?? dockerClient();
  }

  async run(invocation: RunnerInvocation, hooks: RunnerHooks): Promise<RunnerOutcome> {
    return (await this.launch(invocation, hooks)).exited;
  }

  async start(invocation: RunnerInvocation, ready: RunnerEvent['event'], hooks: RunnerHooks): Promise<RunningRunner> {
    let markReady: (event: RunnerEvent) => void = () => {};
    const readyEvent = new Promise<RunnerEvent>((resolveReady) => (markReady = resolveReady));
    const supervised = await this.launch(invocation, {
      ...hooks,
      onEvent: (event) => {
        if (event.event === ready) markReady(event);
        hooks.onEvent?.(event);
      },
    });
    return awaitReady(readyEvent, supervised);
  }

  /** The container's bind mounts: the trainer read-only, then each job path's folder read-write. */
  binds(paths: string[]): string[] {
    const folders = new Set<string>();
    for (const path of [...paths, ...(this.options.extraMounts ?? [])]) {
      const absolute = resolve(path);
      let isDir = false;
      try {
        isDir = statSync(absolute).isDirectory();
      } catch {
        mkdirSync(absolute, { recursive: true }); // an output folder that does not exist yet
        isDir = true;
      }
      folders.add(isDir ? absolute : dirname(absolute));
    }
    return [`${this.trainer}:${CONTAINER_TRAINER_DIR}:ro`, ...[...folders].map((folder) => `${folder}:${folder}`)];
  }

  /** What the container is created from: the runner command, mounts, user, network and GPU request. */
  containerSpec(invocation: RunnerInvocation): Docker.ContainerCreateOptions {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const hfCache = this.options.hfCache ?? huggingFaceCache();
    return {
      Image: this.options.image,
      Cmd: [this.options.python ?? 'python', '-m', 'rollout_trainer', invocation.command, ...invocation.args],
      WorkingDir: CONTAINER_TRAINER_DIR,
      User: `${uid}:${gid}`,
      Env: [
        'PYTHONPATH=' + CONTAINER_TRAINER_DIR,
        'PYTHONUNBUFFERED=1',
        'HOME=/tmp',
        `HF_HOME=${hfCache}`,
        ...(process.env.HF_TOKEN ? [`HF_TOKEN=${process.env.HF_TOKEN}`] : []),
      ],
      Labels: ownerLabels(`trainer-${invocation.command}-${process.pid}`),
      HostConfig: {
        Binds: this.binds([...invocation.paths, hfCache]),
        NetworkMode: 'host',
        ShmSize: 2 * 1024 ** 3,
        DeviceRequests: this.options.gpus ? [ALL_GPUS] : undefined,
      },
    };
  }

  /** The engine's answer to a GPU request it has no driver for names the way out. */
  private explainStartError(error: unknown): Error {
    const message = (error as { message?: string }).message ?? '';
    if (this.options.gpus && /could not select device driver/i.test(message))
      return new InfrastructureError(
        `the Docker engine cannot give the trainer's container the GPUs it asks for: ${message.trim()}`,
        'install the NVIDIA Container Toolkit and restart the engine, or run without GPUs (--no-gpus)',
      );
    return explainEngineError(error, this.options.image);
  }

  private async launch(invocation: RunnerInvocation, hooks: RunnerHooks): Promise<Supervised> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(this.containerSpec(invocation));
    } catch (error) {
      throw explainEngineError(error, this.options.image);
    }
    const output = new RunnerOutput(hooks);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => output.stdout.push(chunk));
    stderr.on('data', (chunk: Buffer) => output.stderr.push(chunk));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const streamEnded = new Promise<void>((resolveEnd) => stream.on('end', () => resolveEnd()));
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw this.explainStartError(error);
    }
    let cancelled = false;
    const timers: NodeJS.Timeout[] = [];
    const signalContainer = (signal: string) => container.kill({ signal }).catch(() => undefined);
    const stop = () => {
      if (cancelled) return;
      cancelled = true;
      void signalContainer('SIGINT');
      timers.push(setTimeout(() => void signalContainer('SIGINT'), CHECKPOINT_GRACE_MS));
      timers.push(setTimeout(() => void signalContainer('SIGKILL'), CHECKPOINT_GRACE_MS + KILL_GRACE_MS));
    };
    if (hooks.signal?.aborted) stop();
    else hooks.signal?.addEventListener('abort', stop, { once: true });
    const exited = (async (): Promise<RunnerOutcome> => {
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await Promise.race([streamEnded, new Promise((wait) => setTimeout(wait, 2000))]);
      timers.forEach(clearTimeout);
      hooks.signal?.removeEventListener('abort', stop);
      output.end();
      await container.remove({ force: true }).catch(() => undefined);
      return { exitCode: StatusCode, last: output.last, cancelled: cancelled || output.last?.event === 'cancelled' };
    })();
    return {
      exited,
      stop: () => {
        stop();
        return exited;
      },
    };
  }
}
