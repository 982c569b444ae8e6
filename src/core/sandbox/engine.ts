import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { thisProcess } from '../processOwner';
import { InfrastructureError } from './sandbox';

/** Labels on every container and snapshot image this tool makes, so a reaper can find what a dead process left. */
export const LABELS = {
  tool: 'rollout-studio.tool',
  ownerPid: 'rollout-studio.owner-pid',
  ownerHost: 'rollout-studio.owner-host',
  /** The owner's `processStart`, so a later process given its pid (a restarted worker is PID 1 again) reaps it. */
  ownerStart: 'rollout-studio.owner-start',
  runId: 'rollout-studio.run-id',
} as const;
export const TOOL_NAME = 'rollout-studio';

export function ownerLabels(runId: string): Record<string, string> {
  const owner = thisProcess();
  return {
    [LABELS.tool]: TOOL_NAME,
    [LABELS.ownerPid]: String(owner.pid),
    [LABELS.ownerHost]: owner.host,
    ...(owner.start ? { [LABELS.ownerStart]: owner.start } : {}),
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
    return missingImage(image, host);
  }
  // The engine restarted (or someone stopped the container) under a running sandbox: its container stopped and
  // its exec instances are gone. The machinery failed, not the agent. An exec started while the container stops
  // is refused with a 500 ("container not running"), one started after it with a 409.
  if (
    ((err.statusCode === 409 || err.statusCode === 500) && /is not running|is paused/i.test(err.message ?? '')) ||
    (err.statusCode === 404 && /no such exec/i.test(err.message ?? ''))
  ) {
    return containerStopped(host, err.message?.trim() ?? '');
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The error of a sandbox whose container stopped under a run: the machinery failed, not the agent. */
function containerStopped(host: string, detail: string): InfrastructureError {
  return new InfrastructureError(
    `the sandbox's container stopped under the run (Docker engine at ${host}): ${detail}`,
    'the engine restarted or the container was stopped from outside; run the attempt again',
  );
}

/**
 * Opens a hijacked stream that writes to a process's standard input (an attach or an exec start with stdin). Its
 * request's body stays open for that input, so the engine's refusal (500: the container is not running) does not
 * end the request: it would hold its connection, and the program, for minutes. Refused, it is aborted.
 */
export async function openWithInput<T>(open: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const request = new AbortController();
  try {
    return await open(request.signal);
  } catch (error) {
    request.abort();
    throw error;
  }
}

/** An image that is neither on the engine nor to be had from a registry. */
export class ImageNotFoundError extends InfrastructureError {}

function missingImage(image: string, host: string, pullFailure?: string): ImageNotFoundError {
  const profile = /^rollout-studio\/([\w-]+):/.exec(image)?.[1];
  return new ImageNotFoundError(
    `image ${image} not found on the engine at ${host}${pullFailure ? `, and no registry gave it: ${pullFailure}` : ''}`,
    profile ? `build it with \`rollout images build ${profile}\`` : `pull or build ${image} first`,
  );
}

/** A Dockerfile that did not build; `--dockerfile-fallback` and similar choices catch exactly this. */
export class ImageBuildError extends InfrastructureError {}

/** How far a pull has got: layers done of those known so far, and bytes downloaded of those announced. */
export interface PullProgress {
  image: string;
  layersDone: number;
  layers: number;
  bytesDone: number;
  bytesTotal: number;
}

interface ProgressEvent {
  id?: string;
  status?: string;
  error?: string;
  stream?: string;
  progressDetail?: { current?: number; total?: number };
}

/** Images this tool makes locally (profiles, task Dockerfiles, snapshots) are never looked for in a registry. */
function isLocalOnly(image: string): boolean {
  return /^rollout-studio(-snapshot)?\//.test(image);
}

/**
 * One Docker engine: the images on it (found, pulled with progress, built, imported) and the containers that
 * sandboxes start there. Everything a sandbox needs from an engine goes through the same object, so an image is
 * always built or pulled on the engine that then runs it.
 */
export class Engine {
  private static readonly byAddress = new Map<string, Engine>();
  private readonly pulls = new Map<string, SharedPull>();

  private constructor(
    readonly address: string,
    readonly docker: Docker,
  ) {}

  /** The engine at `host` (DOCKER_HOST style); DOCKER_HOST or the local socket when absent. One object per address. */
  static at(host?: string): Engine {
    const address = host || engineAddress();
    let engine = Engine.byAddress.get(address);
    if (!engine) {
      engine = new Engine(address, dockerClient(host || undefined));
      Engine.byAddress.set(address, engine);
    }
    return engine;
  }

  explain(error: unknown, image?: string): Error {
    return explainEngineError(error, image, this.address);
  }

  /**
   * Whether a stream to this engine may stay open while other requests come and go. Over ssh it may not: the
   * client shares one connection among its requests and ends it, and every stream on it, when any of them ends.
   */
  get keepsStreamsOpen(): boolean {
    return !this.address.startsWith('ssh://');
  }

  containerStopped(detail: string): InfrastructureError {
    return containerStopped(this.address, detail);
  }

  async inspectImage(image: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(image).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.explain(error);
    }
  }

  async hasImage(image: string): Promise<boolean> {
    return (await this.inspectImage(image)) !== undefined;
  }

  /** Every `name:tag` on the engine, in one call (for listings of many images). */
  async localImageNames(): Promise<Set<string>> {
    try {
      const images = await this.docker.listImages();
      return new Set(images.flatMap((image) => image.RepoTags ?? []));
    } catch (error) {
      throw this.explain(error);
    }
  }

  /** Whether a registry answers for `image` (its manifest, through the engine), without pulling it. */
  async registryHas(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).distribution();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes `image` present: already there, else built from `dockerfile` when one is given, else pulled from its
   * registry. A missing image that no registry has is an infrastructure error naming the image and the fix.
   * Aborting `signal` stops the build or the pull (see pullImage) and rejects with the signal's reason.
   */
  async ensureImage(
    image: string,
    options: { dockerfile?: string; onProgress?: (line: string) => void; signal?: AbortSignal } = {},
  ): Promise<Docker.ImageInspectInfo> {
    const { dockerfile, onProgress, signal } = options;
    const present = await this.inspectImage(image);
    if (present) return present;
    if (dockerfile !== undefined) await this.buildDockerfile(image, dockerfile, { onProgress, signal });
    else if (isLocalOnly(image)) throw missingImage(image, this.address);
    else
      await this.pullImage(image, { onProgress: onProgress && ((pulled) => onProgress(formatPull(pulled))), signal });
    const made = await this.inspectImage(image);
    if (!made) throw missingImage(image, this.address);
    return made;
  }

  /**
   * Pulls `image`, reporting layers and bytes as they come; concurrent pulls of one image share one transfer.
   * Aborting `signal` rejects this call at once with the signal's reason; the transfer itself stops (the engine
   * drops a pull whose request is closed) once no caller waits for it any more.
   */
  pullImage(
    image: string,
    options: { onProgress?: (progress: PullProgress) => void; signal?: AbortSignal } = {},
  ): Promise<void> {
    let pull = this.pulls.get(image);
    // A pull every caller left is stopping: a new caller starts another.
    if (!pull || pull.stop.signal.aborted) {
      const stop = new AbortController();
      const done = this.pullOnce(image, stop.signal, options.onProgress).finally(() => {
        if (this.pulls.get(image)?.stop === stop) this.pulls.delete(image);
      });
      pull = { done, stop, waiting: 0 };
      this.pulls.set(image, pull);
    }
    return waitForPull(pull, options.signal);
  }

  private async pullOnce(
    image: string,
    stop: AbortSignal,
    onProgress?: (progress: PullProgress) => void,
  ): Promise<void> {
    const layers = new Map<string, { done: boolean; current: number; total: number }>();
    const report = () => {
      const all = [...layers.values()];
      onProgress?.({
        image,
        layersDone: all.filter((layer) => layer.done).length,
        layers: all.length,
        bytesDone: all.reduce((sum, layer) => sum + layer.current, 0),
        bytesTotal: all.reduce((sum, layer) => sum + layer.total, 0),
      });
    };
    let events: ProgressEvent[];
    try {
      const stream = (await this.docker.pull(image, { abortSignal: stop })) as NodeJS.ReadableStream;
      events = await this.follow(stream, (event) => {
        if (!event.id || !event.status || /^(Pulling from|Digest|Status)/.test(event.status)) return;
        const layer = layers.get(event.id) ?? { done: false, current: 0, total: 0 };
        layers.set(event.id, layer);
        if (event.status === 'Downloading' && event.progressDetail?.total) {
          layer.current = event.progressDetail.current ?? layer.current;
          layer.total = event.progressDetail.total;
        } else if (event.status === 'Download complete') {
          layer.current = layer.total;
        } else if (event.status === 'Pull complete' || event.status === 'Already exists') {
          layer.current = layer.total;
          layer.done = true;
        }
        report();
      });
    } catch (error) {
      stop.throwIfAborted();
      const explained = this.explain(error);
      if (explained instanceof InfrastructureError) throw explained;
      throw missingImage(image, this.address, (error as Error).message.trim());
    }
    // An aborted request may end as if the transfer had: its events then stop short.
    stop.throwIfAborted();
    const failure = events.find((event) => event.error)?.error;
    if (failure) throw missingImage(image, this.address, failure.trim());
  }

  /** Builds a one-file context (a Dockerfile with no COPY sources) offline: build steps get no network. */
  async buildDockerfile(
    tag: string,
    dockerfile: string,
    options: { onProgress?: (line: string) => void; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.buildImage(tag, [{ name: 'Dockerfile', content: dockerfile }], { network: false, ...options });
  }

  /**
   * Builds `tag` from a context of files (a `Dockerfile` among them); `network` decides whether build steps
   * may download (package installs from a mirror). A failed build is an ImageBuildError with the builder's message.
   * Aborting `signal` closes the build's request, which stops the build and removes its step's container; the
   * call then rejects with the signal's reason.
   */
  async buildImage(
    tag: string,
    files: { name: string; content: string | Buffer }[],
    options: {
      network: boolean;
      buildArgs?: Record<string, string>;
      onProgress?: (line: string) => void;
      signal?: AbortSignal;
    },
  ): Promise<void> {
    options.signal?.throwIfAborted();
    const context = tar.pack();
    for (const file of files) context.entry({ name: file.name }, file.content);
    context.finalize();
    let failure: string | undefined;
    try {
      const stream = await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: tag,
        ...(options.network ? {} : { networkmode: 'none' }),
        forcerm: true,
        buildargs: options.buildArgs,
        abortSignal: options.signal,
      });
      const events = await this.follow(stream, (event) => {
        const line = event.stream?.trimEnd();
        if (line) options.onProgress?.(line);
      });
      failure = events.find((event) => event.error)?.error;
    } catch (error) {
      options.signal?.throwIfAborted();
      const explained = this.explain(error);
      if (explained instanceof InfrastructureError) throw explained;
      failure = (error as Error).message;
    }
    options.signal?.throwIfAborted();
    if (failure) throw new ImageBuildError(`image ${tag} did not build: ${failure.trim()}`);
  }

  /** Imports a root filesystem tar as `image`, with Dockerfile-style `changes` for its configuration. */
  async importImage(rootfs: NodeJS.ReadableStream, image: string, changes: string[]): Promise<void> {
    const [repo, tag] = image.split(':');
    try {
      const stream = await this.docker.importImage(rootfs, { repo, tag, changes });
      const events = await this.follow(stream);
      const failure = events.find((event) => event.error)?.error;
      if (failure) throw new Error(failure);
    } catch (error) {
      throw this.explain(error);
    }
  }

  private follow(stream: NodeJS.ReadableStream, onEvent?: (event: ProgressEvent) => void): Promise<ProgressEvent[]> {
    return new Promise((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (error: Error | null, output: ProgressEvent[]) => (error ? reject(error) : resolve(output)),
        onEvent,
      ),
    );
  }
}

/** One transfer of an image and how many callers still wait for it. */
interface SharedPull {
  done: Promise<void>;
  stop: AbortController;
  waiting: number;
}

/** Waits for a shared pull; a caller whose signal aborts stops waiting, and the last one to go stops the pull. */
async function waitForPull(pull: SharedPull, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  pull.waiting += 1;
  // A caller that cannot cancel waits to the end, and so keeps the pull going.
  if (!signal) return pull.done;
  let leave = () => {};
  const left = new Promise<never>((_, reject) => {
    leave = () => {
      pull.waiting -= 1;
      if (pull.waiting === 0) pull.stop.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', leave, { once: true });
  });
  try {
    return await Promise.race([pull.done, left]);
  } finally {
    signal.removeEventListener('abort', leave);
  }
}

export function formatPull(progress: PullProgress): string {
  const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
  return `pulling ${progress.image}: ${progress.layersDone}/${progress.layers} layers, ${mb(progress.bytesDone)}/${mb(progress.bytesTotal)} MB`;
}
