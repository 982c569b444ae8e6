import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import { dockerClient, explainEngineError, ownerLabels } from './engine';
import { reapOrphansOnce } from './reaper';
import { prepareCheckout } from './repoCheckout';
import type { ExecOptions, ExecResult, FileEntry, Sandbox, SandboxSpec, SnapshotRef } from './sandbox';
import { firstFileContent, listTarEntries, packDirectory, packFile, type Owner } from './tarball';

const DEFAULTS = {
  workdir: '/work/repo',
  memoryBytes: 4 * 1024 ** 3,
  cpus: 2,
  pidsLimit: 512,
  timeoutMs: 10 * 60_000,
  maxOutputBytes: 1024 ** 2,
};
// The unprivileged user of the bundled images (see sandbox/images/build-rootfs.sh).
const AGENT: Owner = { uid: 1000, gid: 1000 };
// If the in-container `timeout` has not ended the command this long after its limit, the host steps in.
const HOST_KILL_GRACE_MS = 5_000;
// Every process a command starts inherits this variable, so the whole tree can be found even after setsid or a fork bomb.
const EXEC_MARKER = 'ROLLOUT_EXEC_ID';

/** A sandbox in a Docker container on the engine named by DOCKER_HOST or the local socket. */
export class DockerSandbox implements Sandbox {
  private snapshots: string[] = [];

  private constructor(
    readonly id: string,
    readonly workdir: string,
    private container: Docker.Container,
    private readonly createOptions: Docker.ContainerCreateOptions,
    private readonly baseCommit: string | undefined,
    private readonly docker: Docker,
  ) {}

  /** Starts a container from `spec.image` with the repository checked out in `spec.workdir`. */
  static async create(spec: SandboxSpec): Promise<DockerSandbox> {
    const docker = dockerClient(spec.dockerHost);
    await reapOrphansOnce(docker, spec.dockerHost).catch((error: unknown) =>
      Promise.reject(explainEngineError(error, undefined, spec.dockerHost)),
    );
    const id = randomUUID();
    const workdir = spec.workdir ?? DEFAULTS.workdir;
    const checkout = spec.repo ? await prepareCheckout(spec.repo) : undefined;
    const createOptions: Docker.ContainerCreateOptions = {
      Image: spec.image,
      name: `rollout-${id.slice(0, 12)}`,
      Cmd: ['sleep', 'infinity'],
      // The container's own process runs as root so that cleaning up the agent's processes never stops it.
      User: '0:0',
      WorkingDir: workdir,
      Labels: ownerLabels(spec.runId ?? id),
      NetworkDisabled: !spec.network,
      HostConfig: {
        NetworkMode: spec.network ? 'bridge' : 'none',
        Memory: spec.memoryBytes ?? DEFAULTS.memoryBytes,
        MemorySwap: spec.memoryBytes ?? DEFAULTS.memoryBytes,
        NanoCpus: Math.round((spec.cpus ?? DEFAULTS.cpus) * 1e9),
        PidsLimit: spec.pidsLimit ?? DEFAULTS.pidsLimit,
        // A real init reaps the zombies that killed commands leave, which would otherwise count against the pids limit.
        Init: true,
        CapDrop: ['NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP'],
        SecurityOpt: ['no-new-privileges'],
      },
    };
    let container: Docker.Container | undefined;
    try {
      container = await docker.createContainer(createOptions);
      if (checkout) {
        const archive = await packDirectory(checkout.dir, posix.basename(workdir), AGENT);
        await container.putArchive(archive, { path: posix.dirname(workdir) });
      }
      await container.start();
    } catch (error) {
      await container?.remove({ force: true }).catch(() => undefined);
      throw explainEngineError(error, spec.image, spec.dockerHost);
    }
    return new DockerSandbox(id, workdir, container, createOptions, checkout?.baseCommit, docker);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    const maxBytes = options.maxOutputBytes ?? DEFAULTS.maxOutputBytes;
    const started = performance.now();
    const execId = randomUUID();
    const exec = await this.container
      .exec({
        Cmd: ['sh', '-c', commandWrapper(execId, timeoutMs), 'rollout-exec', command],
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: options.stdin !== undefined,
        WorkingDir: this.resolve(options.cwd ?? '.'),
        Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
        User: options.asRoot ? '0:0' : `${AGENT.uid}:${AGENT.gid}`,
      })
      .catch((error: unknown) => Promise.reject(explainEngineError(error)));
    const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
    const stdout = new CappedSink(maxBytes, options.onOutput && ((text) => options.onOutput!('stdout', text)));
    const stderr = new CappedSink(maxBytes, options.onOutput && ((text) => options.onOutput!('stderr', text)));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    if (options.stdin !== undefined) stream.end(options.stdin);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    let hostKilled = false;
    const guard = setTimeout(() => {
      hostKilled = true;
      stream.destroy();
    }, timeoutMs + HOST_KILL_GRACE_MS);
    await ended;
    clearTimeout(guard);
    const durationMs = performance.now() - started;
    const exitCode = hostKilled ? 137 : ((await exec.inspect()).ExitCode ?? -1);
    const timedOut = hostKilled || (exitCode === 137 && durationMs >= timeoutMs - 50);
    if (hostKilled) await this.killProcessTree(execId);
    return {
      exitCode,
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
      timedOut,
      durationMs,
    };
  }

  /** The fallback when the in-container wrapper itself did not finish: the same clean-up, as root, from outside. */
  private async killProcessTree(execId: string): Promise<void> {
    const script = `${killMarkedProcesses(execId)}
[ -n "$exit_ok" ]`;
    for (let attempt = 0; attempt < 20; attempt++) {
      // The exec itself can fail to fork while a fork bomb still holds every pid: try again shortly.
      const killer = await this.container
        .exec({ Cmd: ['sh', '-c', script], User: '0:0', AttachStdout: true, AttachStderr: true })
        .catch(() => undefined);
      if (killer) {
        const stream = await killer.start({});
        stream.resume();
        await new Promise((resolve) => stream.on('end', resolve));
        if ((await killer.inspect()).ExitCode === 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`could not stop the processes of a timed-out command in sandbox ${this.id}`);
  }

  async readFile(path: string): Promise<Buffer> {
    const absolute = this.resolve(path);
    const stream = await this.container
      .getArchive({ path: absolute })
      .catch((error: unknown) => Promise.reject(notFound(error, absolute)));
    const content = await firstFileContent(stream);
    if (content === undefined) throw new Error(`not a regular file in the sandbox: ${absolute}`);
    return content;
  }

  async writeFile(path: string, content: string | Buffer): Promise<void> {
    const absolute = this.resolve(path);
    // Under the work tree the archive can create missing folders; elsewhere the parent must exist.
    const root = absolute.startsWith(`${this.workdir}/`) ? this.workdir : posix.dirname(absolute);
    const archive = await packFile(posix.relative(root, absolute), Buffer.from(content), AGENT);
    await this.container.putArchive(archive, { path: root });
  }

  async listFiles(dir: string): Promise<FileEntry[]> {
    const absolute = this.resolve(dir);
    const stream = await this.container
      .getArchive({ path: absolute })
      .catch((error: unknown) => Promise.reject(notFound(error, absolute)));
    return listTarEntries(stream);
  }

  async diff(): Promise<string> {
    if (!this.baseCommit) throw new Error('this sandbox has no repository, so there is nothing to diff');
    // A private index keeps the agent's own staging area untouched while new files are included.
    const index = `/tmp/.rollout-diff-index-${randomUUID()}`;
    const result = await this.exec(
      `cp .git/index ${index} && export GIT_INDEX_FILE=${index} && git add --all . && git -c core.quotepath=off diff --cached --binary ${this.baseCommit}; status=$?; rm -f ${index}; exit $status`,
      { maxOutputBytes: 256 * 1024 ** 2, timeoutMs: 120_000 },
    );
    if (result.exitCode !== 0)
      throw new Error(`git diff failed in the sandbox (exit ${result.exitCode}): ${result.stderr.trim()}`);
    return result.stdout;
  }

  async snapshot(): Promise<SnapshotRef> {
    const tag = `${this.id.slice(0, 12)}-${this.snapshots.length}`;
    const image = await this.container.commit({ repo: 'rollout-studio-snapshot', tag, pause: true });
    this.snapshots.push(image.Id as string);
    return { id: image.Id as string };
  }

  async restore(snapshot: SnapshotRef): Promise<void> {
    if (!this.snapshots.includes(snapshot.id))
      throw new Error(`snapshot ${snapshot.id} does not belong to sandbox ${this.id}`);
    const replacement = await this.docker.createContainer({
      ...this.createOptions,
      Image: snapshot.id,
      name: `${this.createOptions.name}-r${Date.now()}`,
    });
    await replacement.start();
    await this.container.remove({ force: true });
    this.container = replacement;
  }

  async destroy(): Promise<void> {
    await this.container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw explainEngineError(error);
    });
    for (const image of this.snapshots.reverse()) {
      await this.docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    }
    this.snapshots = [];
  }

  /** The container's id on the engine (changes on restore). */
  get containerId(): string {
    return this.container.id;
  }

  private resolve(path: string): string {
    return posix.resolve(this.workdir, path);
  }
}

/**
 * Kills every process carrying the marker, round after round, until none is left. Shell builtins and one grep
 * per round keep it cheap on the hot path; the `end` sentinel tells "none found" from a fork that failed.
 */
function killMarkedProcesses(execId: string): string {
  return `round=0
while [ $round -lt 100 ]; do
  round=$((round + 1))
  found=$(grep -lsF "${EXEC_MARKER}=${execId}" /proc/[0-9]*/environ; echo end)
  case "$found" in *end) ;; *) continue ;; esac
  set -- $found
  [ $# -eq 1 ] && exit_ok=1 && break
  for file; do [ "$file" = end ] || { pid=\${file#/proc/}; kill -KILL \${pid%/environ} 2>/dev/null; }; done
done`;
}

/**
 * Runs the command under `timeout`, which kills its process group at the limit; then kills whatever the command
 * left running (background jobs, setsid escapes), so no process of one command outlives it. Only the command
 * carries the marker, not this wrapper.
 */
function commandWrapper(execId: string, timeoutMs: number): string {
  return `${EXEC_MARKER}=${execId} timeout --signal=KILL ${Math.ceil(timeoutMs / 1000)}s bash -c "$1"
status=$?
${killMarkedProcesses(execId)}
exit $status`;
}

function notFound(error: unknown, path: string): Error {
  if ((error as { statusCode?: number }).statusCode === 404)
    return new Error(`no such file or directory in the sandbox: ${path}`);
  return explainEngineError(error);
}

/** Keeps the first `limit` bytes written and counts the rest, so a flood of output cannot exhaust memory. */
class CappedSink extends Writable {
  private chunks: Buffer[] = [];
  private kept = 0;
  private readonly decoder = new StringDecoder('utf8');
  truncated = false;

  constructor(
    private readonly limit: number,
    private readonly onText?: (text: string) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const room = this.limit - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
      // Decoded across chunks, so a character split between two reads arrives whole.
      if (this.onText) this.onText(this.decoder.write(part));
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
