import type Docker from 'dockerode';
import { randomInt, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { type Duplex, Writable } from 'node:stream';
import { CommandRunner } from './commandRunner';
import { Engine, openWithInput, ownerLabels } from './engine';
import { shellQuote } from '../shellWords';
import { reapOrphansOnce } from './reaper';
import { prepareCheckout } from './repoCheckout';
import {
  BrokenRepositoryError,
  InfrastructureError,
  type ExecOptions,
  type ExecResult,
  type HiddenHistory,
  type InstanceSetup,
  type Sandbox,
  type SandboxSpec,
  type SnapshotRef,
} from './sandbox';
import { packDirectory, type Owner } from './tarball';

const DEFAULTS = {
  workdir: '/work/repo',
  memoryBytes: 4 * 1024 ** 3,
  cpus: 2,
  pidsLimit: 512,
  maxFileBytes: 4 * 1024 ** 3,
  timeoutMs: 10 * 60_000,
  maxOutputBytes: 1024 ** 2,
};
// The unprivileged user of the bundled images (see sandbox/images/build-rootfs.sh).
const AGENT: Owner = { uid: 1000, gid: 1000 };
/**
 * Marks every process of one command: the soft limit on file locks (RLIMIT_LOCKS, which Linux has not enforced
 * since 2.4.25) set to a number of its own. A process inherits it through fork, execve and setsid, and anyone can
 * read it in /proc/PID/limits at any moment, mid-execve included (the environment's /proc file reads empty then,
 * so a marker variable let a child caught in its execve escape). The hard limit is raised to unlimited at the
 * container's creation, so any mark can be set.
 */
function newExecMark(): number {
  return randomInt(2 ** 40, 2 ** 47);
}

/** What an instance image's sandbox learned at its start: who runs commands, with which environment, from which commit. */
interface InstanceState {
  user: string;
  owner: Owner;
  env: string[];
  baseCommit: string;
}

/** A command's program as the sandbox starts it: its words, as whom, where, and the environment it adds. */
interface SandboxProgram {
  argv: string[];
  user: string;
  directory: string;
  env: string[];
}

/** What a program started in the container reads and where its output goes. */
interface ProgramStreams {
  input?: Buffer;
  stdout: Writable;
  stderr: Writable;
}

/** A program started in the container, however it was started. */
interface StartedProgram {
  /** Resolves when all of its output is in. */
  ended: Promise<void>;
  /** Stops waiting for its output (once its processes were killed). */
  abandon(): void;
  exitCode(): Promise<number>;
}

/** A sandbox in a Docker container on the engine named by `spec.dockerHost`, DOCKER_HOST or the local socket. */
export class DockerSandbox implements Sandbox {
  private snapshots: string[] = [];
  private readonly runners = new Map<string, Promise<CommandRunner>>();

  private constructor(
    readonly id: string,
    readonly workdir: string,
    private container: Docker.Container,
    private readonly createOptions: Docker.ContainerCreateOptions,
    readonly baseCommit: string | undefined,
    private readonly engine: Engine,
    private readonly user: { exec: string; owner: Owner; env: string[] },
  ) {}

  /**
   * Starts a container from `spec.image` (pulled or built on the same engine when it is missing) with the
   * repository checked out in `spec.workdir`, or, for an instance image, the image's own repository as it is.
   */
  static async create(spec: SandboxSpec): Promise<DockerSandbox> {
    const engine = Engine.at(spec.dockerHost);
    await reapOrphansOnce(engine.docker, engine.address).catch((error: unknown) =>
      Promise.reject(engine.explain(error)),
    );
    const id = randomUUID();
    const workdir = spec.workdir ?? DEFAULTS.workdir;
    const maxFileBytes = spec.maxFileBytes ?? DEFAULTS.maxFileBytes;
    const checkout = spec.repo && !spec.instance ? await prepareCheckout(spec.repo) : undefined;
    const instanceStart = spec.instance && instanceStartScript(spec.image, spec.instance);
    const start = instanceStart ?? (checkout && (await checkoutStartScript(checkout.dir, workdir, spec)));
    const readsInput = start?.input !== undefined;
    const createOptions: Docker.ContainerCreateOptions = {
      Image: spec.image,
      name: `rollout-${id.slice(0, 12)}`,
      // An image's own entrypoint (if any) is not what keeps a sandbox alive; the start script runs as the
      // container's own process, which saves an exec (a process the engine starts apart) on every start.
      Entrypoint: start ? ['bash', '-c', startOnceEntrypoint(start.script)] : ['sleep', 'infinity'],
      Cmd: [],
      // The start script reads its input on the container's own standard input, which closes as the input's way in
      // ends (however it ends: the script then finds it cut short rather than waiting for the rest).
      OpenStdin: readsInput,
      StdinOnce: readsInput,
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
        // The engine's storage (overlay2 on ext4) sets no size per container, so one runaway file is bounded here.
        Ulimits: [
          { Name: 'fsize', Soft: maxFileBytes, Hard: maxFileBytes },
          { Name: 'locks', Soft: -1, Hard: -1 },
        ],
        // A real init reaps the zombies that killed commands leave, which would otherwise count against the pids limit.
        Init: true,
        CapDrop: ['NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP'],
        SecurityOpt: ['no-new-privileges'],
      },
    };
    let container: Docker.Container | undefined;
    try {
      container = await createContainer(engine, spec, createOptions);
      if (instanceStart) {
        const state = await startInstance(engine, container, spec, workdir, instanceStart);
        const user = { exec: state.user, owner: state.owner, env: state.env };
        return new DockerSandbox(id, workdir, container, createOptions, state.baseCommit, engine, user);
      }
      if (start) await startWithScript(container, start);
      else await container.start();
    } catch (error) {
      await container?.remove({ force: true }).catch(() => undefined);
      throw engine.explain(error, spec.image);
    }
    const agent = { exec: `${AGENT.uid}:${AGENT.gid}`, owner: AGENT, env: [] };
    return new DockerSandbox(id, workdir, container, createOptions, checkout?.baseCommit, engine, agent);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    const maxBytes = options.maxOutputBytes ?? DEFAULTS.maxOutputBytes;
    const user = options.asRoot ? '0:0' : this.user.exec;
    const started = performance.now();
    const mark = newExecMark();
    const stdout = new CappedSink(maxBytes, options.onOutput && ((text) => options.onOutput!('stdout', text)));
    const stderr = new CappedSink(maxBytes, options.onOutput && ((text) => options.onOutput!('stderr', text)));
    const program = {
      argv: execArgv(command, mark),
      user,
      directory: this.resolve(options.cwd ?? '.'),
      env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    };
    const input = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    const running = await this.startOnRunner(program, { input, stdout, stderr });
    // A timeout and a cancel end the command from outside alike: every process it started, then its stream. The
    // timer is the host's, so a command that ends in time costs no watchdog process in the container.
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= this.killProcessTree(mark, user).finally(() => running.abandon());
      // Awaited once the stream has ended; until then its failure must not count as unhandled.
      stopped.catch(() => undefined);
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    await running.ended;
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    if (stopped) {
      await stopped;
      if (signal?.aborted) throw signal.reason;
    }
    const durationMs = performance.now() - started;
    // Killed at its limit, the command ends as a shell reports a SIGKILL.
    const exitCode = timedOut ? 137 : await running.exitCode();
    return {
      exitCode,
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
      timedOut,
      durationMs,
    };
  }

  /**
   * Starts a program on its user's runner (see CommandRunner), or as an exec of its own while that runner runs
   * another program of this sandbox, where the engine cannot keep a runner's stream open, or for words the runner
   * cannot be sent.
   */
  private async startOnRunner(program: SandboxProgram, streams: ProgramStreams): Promise<StartedProgram> {
    const words = [...program.argv, program.directory, ...program.env];
    if (!this.engine.keepsStreamsOpen || !CommandRunner.carries(words)) return this.startAsExec(program, streams);
    const runner = await this.runnerOf(program.user);
    // Checked and taken in one step: programs started together must not both take it.
    if (!runner.idle) return this.startAsExec(program, streams);
    const outcome = runner.run(program.argv, program.directory, program.env, streams);
    return {
      ended: outcome.then(() => undefined),
      abandon: () => runner.close(),
      exitCode: async () => {
        const ended = await outcome;
        if (ended.kind === 'exited') return ended.status;
        if (ended.kind === 'no-directory')
          throw new Error(`no such directory in the sandbox, or not one its user may enter: ${program.directory}`);
        if (ended.kind === 'input-cut')
          throw new InfrastructureError("the command's input arrived cut short: its connection to the engine ended");
        if (ended.kind === 'no-input')
          throw new Error("the sandbox has no writable temporary folder (TMPDIR or /tmp) to keep a command's input");
        if (ended.kind === 'closed') throw new Error('the sandbox was destroyed or restored while the command ran');
        // The command killed its runner (as a command may kill its own shell: it ends as a SIGKILL), unless the
        // machinery failed: the runner's stream was lost while it ran, or the container is stopping (the engine may
        // call it running for a while yet; a new runner that runs a program proves it is not).
        if (await this.explained(runner.stillRuns()))
          throw this.engine.containerStopped("the command runner's stream ended while it ran");
        if (!(await this.runnerAnswers(program.user)))
          throw this.engine.containerStopped('its processes ended with the command, and a new one could not start');
        return 137;
      },
    };
  }

  /** Whether a runner of `user` (a new one where the last ended) starts and runs `true`. */
  private async runnerAnswers(user: string): Promise<boolean> {
    const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });
    try {
      const runner = await this.runnerOf(user);
      // Taken meanwhile by another command: it started, so the container runs.
      if (!runner.idle) return true;
      const outcome = await runner.run(['true'], '/', [], { stdout: discard(), stderr: discard() });
      return outcome.kind === 'exited' && outcome.status === 0;
    } catch {
      return false;
    }
  }

  /** The runner of `user`, started on first use and again after it ended. */
  private async runnerOf(user: string): Promise<CommandRunner> {
    const known = this.runners.get(user);
    const runner = await known?.catch(() => undefined);
    if (runner && !runner.ended) return runner;
    // Another call may have started a new one meanwhile.
    if (this.runners.get(user) !== known) return this.runnerOf(user);
    const starting = CommandRunner.start(this.container, this.engine.docker.modem, user, this.user.env);
    this.runners.set(user, starting);
    return this.explained(starting);
  }

  /** Starts a program as an exec of the engine's own: a second one at a time, or one the runner cannot take. */
  private async startAsExec(program: SandboxProgram, streams: ProgramStreams): Promise<StartedProgram> {
    const { input } = streams;
    const stdin = input !== undefined;
    const exec = await this.explained(
      this.container.exec({
        Cmd: program.argv,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: stdin,
        WorkingDir: program.directory,
        Env: [...this.user.env, ...program.env],
        User: program.user,
      }),
    );
    const stream = await this.explained(
      openWithInput((abortSignal) => exec.start({ hijack: true, stdin, abortSignal })),
    );
    this.engine.docker.modem.demuxStream(stream, streams.stdout, streams.stderr);
    if (stdin) stream.end(input);
    return {
      ended: streamEnded(stream),
      abandon: () => stream.destroy(),
      exitCode: async () => (await this.explained(exec.inspect())).ExitCode ?? -1,
    };
  }

  /** Ends the runners: the next command starts new ones (in the container then current). */
  private closeRunners(): void {
    for (const starting of this.runners.values()) starting.then((runner) => runner.close()).catch(() => undefined);
    this.runners.clear();
  }

  /**
   * Ends a command from outside: the same clean-up as its wrapper's, run as the command's user by an exec of its
   * own. When not even that can start because every pid is taken, the container restarts: every process ends, files
   * stay.
   */
  private async killProcessTree(mark: number, user: string): Promise<void> {
    const script = `${killMarkedProcesses(mark)}
[ -n "$__rollout_clean" ]`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const killer = await this.container
        .exec({ Cmd: ['bash', '-c', script], User: user, AttachStdout: true, AttachStderr: true })
        .catch(() => undefined);
      const stream = await killer?.start({}).catch(() => undefined);
      if (killer && stream) {
        stream.resume();
        await new Promise((resolve) => stream.on('end', resolve));
        if ((await killer.inspect()).ExitCode === 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.closeRunners();
    await this.explained(this.container.restart({ t: 0 }));
  }

  async readFile(path: string): Promise<Buffer> {
    const absolute = this.resolve(path);
    const read = await this.runAsRoot(['bash', '-c', READ_FILE_SCRIPT, 'rollout-read', absolute]);
    if (read.exitCode === FILE_MISSING) throw new Error(`no such file or directory in the sandbox: ${absolute}`);
    if (read.exitCode === NOT_A_REGULAR_FILE) throw new Error(`not a regular file in the sandbox: ${absolute}`);
    if (read.exitCode !== 0)
      throw new Error(`reading ${absolute} in the sandbox failed (exit ${read.exitCode}): ${read.stderr.trim()}`);
    return read.stdout;
  }

  async writeFile(path: string, content: string | Buffer): Promise<void> {
    const absolute = this.resolve(path);
    // Under the work tree missing folders are made; elsewhere the parent must exist.
    const makesFolders = absolute.startsWith(`${this.workdir}/`) ? 'make-folders' : '';
    const owner = `${this.user.owner.uid}:${this.user.owner.gid}`;
    const argv = ['bash', '-c', WRITE_FILE_SCRIPT, 'rollout-write', absolute, owner, makesFolders];
    const written = await this.runAsRoot(argv, Buffer.from(content));
    if (written.exitCode === FILE_MISSING) throw new Error(`no such folder in the sandbox: ${posix.dirname(absolute)}`);
    if (written.exitCode === NOT_A_REGULAR_FILE) throw new Error(`not a regular file in the sandbox: ${absolute}`);
    if (written.exitCode !== 0)
      throw new Error(`writing ${absolute} in the sandbox failed (exit ${written.exitCode}): ${written.stderr.trim()}`);
  }

  /** Runs one of the sandbox's own programs (not the agent's: no time limit) as root, its output kept as bytes. */
  private async runAsRoot(
    argv: string[],
    input?: Buffer,
  ): Promise<{ exitCode: number; stdout: Buffer; stderr: string }> {
    const stdout = new CappedSink(Number.POSITIVE_INFINITY);
    const stderr = new CappedSink(64 * 1024);
    const program = { argv, user: '0:0', directory: '/', env: [] };
    const running = await this.startOnRunner(program, { input, stdout, stderr });
    await running.ended;
    return { exitCode: await running.exitCode(), stdout: stdout.bytes(), stderr: stderr.text() };
  }

  async diff(): Promise<string> {
    if (!this.baseCommit) throw new Error('this sandbox has no repository, so there is nothing to diff');
    // A private index keeps the agent's own staging area untouched while new files are included.
    const index = `/tmp/.rollout-diff-index-${randomUUID()}`;
    const result = await this.exec(
      `cp .git/index ${index} && export GIT_INDEX_FILE=${index} && git add --all . && git -c core.quotepath=off diff --cached --binary ${this.baseCommit}; status=$?; rm -f ${index}; exit $status`,
      { maxOutputBytes: 256 * 1024 ** 2, timeoutMs: 120_000 },
    );
    if (result.timedOut) throw new Error(`git diff timed out in the sandbox: ${result.stderr.trim()}`);
    // The engine ran git (its failures throw from exec): git refusing is the repository's state.
    if (result.exitCode !== 0)
      throw new BrokenRepositoryError(
        `git cannot diff the work tree's repository (exit ${result.exitCode}): ${result.stderr.trim()}`,
      );
    return result.stdout;
  }

  async snapshot(): Promise<SnapshotRef> {
    const tag = `${this.id.slice(0, 12)}-${this.snapshots.length}`;
    const image = await this.explained(this.container.commit({ repo: 'rollout-studio-snapshot', tag, pause: true }));
    this.snapshots.push(image.Id as string);
    return { id: image.Id as string };
  }

  async restore(snapshot: SnapshotRef): Promise<void> {
    if (!this.snapshots.includes(snapshot.id))
      throw new Error(`snapshot ${snapshot.id} does not belong to sandbox ${this.id}`);
    const replacement = await this.explained(
      this.engine.docker.createContainer({
        ...this.createOptions,
        Image: snapshot.id,
        name: `${this.createOptions.name}-r${Date.now()}`,
      }),
    );
    await this.explained(replacement.start());
    this.closeRunners();
    await this.explained(this.container.remove({ force: true }));
    this.container = replacement;
  }

  async destroy(): Promise<void> {
    this.closeRunners();
    await this.container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw this.engine.explain(error);
    });
    for (const image of this.snapshots.reverse()) {
      await this.engine.docker
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

  /** A call of the engine's whose failure (the engine gone, the container stopped) says so as such. */
  private explained<T>(call: Promise<T>): Promise<T> {
    return call.catch((error: unknown) => Promise.reject(this.engine.explain(error)));
  }
}

// The tar of a checkout, packed once for the sandboxes that start from it (parallel workers, attempts): packing
// reads every file on the one Node thread, so packing per sandbox would queue parallel starts behind each other.
const packedCheckouts = new Map<string, Promise<Buffer>>();
const PACKED_CHECKOUTS_KEPT = 4;

function packedCheckout(dir: string, workdir: string): Promise<Buffer> {
  const key = `${dir}\0${workdir}`;
  let packed = packedCheckouts.get(key);
  if (!packed) {
    packed = packDirectory(dir, posix.basename(workdir), AGENT, checkoutEndMark(workdir));
    packed.catch(() => packedCheckouts.delete(key));
    packedCheckouts.set(key, packed);
    for (const oldest of packedCheckouts.keys()) {
      if (packedCheckouts.size <= PACKED_CHECKOUTS_KEPT) break;
      packedCheckouts.delete(oldest);
    }
  } else {
    // Most recently used last, so the least recently used goes first.
    packedCheckouts.delete(key);
    packedCheckouts.set(key, packed);
  }
  return packed;
}

/** The empty file that ends a checkout's archive, beside the repository's folder. */
function checkoutEndMark(workdir: string): string {
  return `${posix.basename(workdir)}.rollout-copied`;
}

/** Creates the container; an image the engine lacks is first pulled (or built from the spec's Dockerfile) there. */
async function createContainer(
  engine: Engine,
  spec: SandboxSpec,
  options: Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  try {
    return await engine.docker.createContainer(options);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    await engine.ensureImage(spec.image, {
      dockerfile: spec.dockerfile,
      onProgress: spec.onProgress,
      signal: spec.signal,
    });
    return engine.docker.createContainer(options);
  }
}

/** The image (made present first) and the user it runs commands as: its own USER, root when it names none. */
async function instanceImage(engine: Engine, spec: SandboxSpec): Promise<{ id: string; user: string }> {
  const info = await engine.ensureImage(spec.image, { dockerfile: spec.dockerfile, onProgress: spec.onProgress });
  return { id: info.Id, user: info.Config?.User || '0:0' };
}

// What the environment of a user looks like after the image's activation, by engine, image, user and activation.
const activatedEnvironments = new Map<string, Promise<{ env: string[]; owner: Owner }>>();

/** Starts an instance's container (its entrypoint runs the start script) and learns its user, environment and commit. */
async function startInstance(
  engine: Engine,
  container: Docker.Container,
  spec: SandboxSpec,
  workdir: string,
  start: StartScript,
): Promise<InstanceState> {
  const instance = spec.instance ?? {};
  // The image exists once its container does; its inspection needs no wait for the start.
  const [baseCommit, image] = await Promise.all([startWithScript(container, start), instanceImage(engine, spec)]);
  const { user } = image;
  const key = JSON.stringify([engine.address, image.id, user, instance.activate ?? '']);
  let activated = activatedEnvironments.get(key);
  if (!activated) {
    activated = activatedEnvironment(container, user, workdir, spec.image, instance.activate);
    activatedEnvironments.set(key, activated);
    activated.catch(() => activatedEnvironments.delete(key));
  }
  const { env, owner } = await activated;
  if (!/^[0-9a-f]{40,64}$/.test(baseCommit))
    throw new InfrastructureError(
      `${spec.image} holds no git repository at ${workdir} (git rev-parse HEAD gave '${baseCommit.slice(0, 200)}')`,
      'an instance image must hold its repository at the workdir its dataset names',
    );
  return { user, owner, env, baseCommit };
}

/** What a container runs once as it first starts, with what it reads on its standard input. */
interface StartScript {
  script: string;
  input?: Buffer;
  /** What it does, for its failure's message. */
  what: string;
}

/** An instance's start script: its setup on its input, then the base commit (see baseCommitScript). */
function instanceStartScript(image: string, instance: InstanceSetup): StartScript {
  const what = `the instance setup of ${image}`;
  const { setup, setupInput, hideHistory } = instance;
  const script = baseCommitScript(setup, hideHistory);
  if (setupInput === undefined) return { script, what };
  const input = Buffer.from(setupInput);
  return { script: `${setupInputScript(input.length)}\n${script}`, input, what };
}

/**
 * The copy of a checkout into `workdir`. The checkout's archive is read from the container's standard input by the
 * container's own process, which costs the engine no process of its own (an archive put into a container is
 * unpacked by a copy of the engine that it starts). It is read to its length, so its end needs no end of the
 * connection's input (which not every proxy passes on), and its last entry must be there: tar takes an archive cut
 * short at an entry's end for a whole one.
 */
async function checkoutStartScript(checkoutDir: string, workdir: string, spec: SandboxSpec): Promise<StartScript> {
  const input = await packedCheckout(checkoutDir, workdir);
  const copy = checkoutCopyScript(workdir, input.length);
  if (!spec.hideImageHistory) return { script: copy, input, what: `copying the repository into ${spec.image}` };
  const what = `copying the repository into ${spec.image} and hiding its other repositories' later history`;
  return { script: [copy, IMAGE_HISTORY_REMOVAL].join('\n'), input, what };
}

/** Unpacks the next `length` bytes of standard input, a checkout's archive (see packedCheckout), beside `workdir`. */
function checkoutCopyScript(workdir: string, length: number): string {
  const parent = shellQuote(posix.dirname(workdir));
  const endMark = shellQuote(posix.join(posix.dirname(workdir), checkoutEndMark(workdir)));
  return `mkdir -p ${parent} && head -c ${length} | tar -x -f - -C ${parent} || exit $?
rm ${endMark} 2>/dev/null || { echo "the repository's archive arrived cut short" >&2; exit 1; }`;
}

/**
 * Makes the next `length` bytes of standard input the rest of the script's standard input, once all of them are
 * in: kept in a file first, since a setup given only part of its input may still succeed (a patch cut at a hunk's
 * end applies).
 */
function setupInputScript(length: number): string {
  return `mkdir -p ${posix.dirname(SETUP_INPUT)} && head -c ${length} >${SETUP_INPUT} || exit $?
[ "$(wc -c <${SETUP_INPUT})" -eq ${length} ] || { echo "the setup's input arrived cut short" >&2; exit 1; }
exec <${SETUP_INPUT} && rm -f ${SETUP_INPUT}`;
}

// The start script runs once per container: a restart (the last resort of a kill) or a restore from a snapshot
// starts the same entrypoint again, which then finds this file and only keeps the container alive.
const STARTED_GUARD = '/run/rollout-studio.started';
// Where the start script keeps a setup's input while the setup reads it.
const SETUP_INPUT = '/run/rollout-setup-input';
// Ends the start script's output on both streams, with its exit status.
const START_STATUS_MARK = '--rollout-start-status--';
const START_STATUS_LINE = new RegExp(`\\n${START_STATUS_MARK} (\\d+)\\n$`);

/** The entrypoint of a container with a start script: the script once, then a process that stays. */
function startOnceEntrypoint(script: string): string {
  return `if [ ! -e ${STARTED_GUARD} ]; then
  (
${script}
  )
  __rollout_status=$?
  mkdir -p ${posix.dirname(STARTED_GUARD)} && : >${STARTED_GUARD}
  printf '\\n%s %d\\n' ${START_STATUS_MARK} $__rollout_status
  printf '\\n%s %d\\n' ${START_STATUS_MARK} $__rollout_status >&2
fi
exec sleep infinity </dev/null`;
}

/**
 * Refreshes the index's file stats (a container's files are not where the image build saw them, so git would
 * take every file for changed: `git apply --index` refuses to run), runs the setup (its own status decides),
 * then hides whatever is untracked (build output, the image's own scripts), so that the agent's diff holds only
 * its own changes; with `hideHistory`, removes that history (HISTORY_REMOVAL); prints the commit the diff is taken
 * against.
 */
function baseCommitScript(setup: string | undefined, hideHistory: HiddenHistory | undefined): string {
  return `set -e
git update-index -q --refresh >/dev/null 2>&1 || true
(
${setup ?? ':'}
) || exit $?
${hideHistory ? HISTORY_REMOVAL[hideHistory] : ''}
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
git ls-files -z --others --exclude-standard --directory | tr '\\0' '\\n' | sed -e 's/[][*?!#\\ ]/\\\\&/g' -e 's|^|/|' >> "$exclude"
git rev-parse HEAD`;
}

/**
 * Benchmark images clone the whole repository and reset it to the base, keeping what came after: remote branches,
 * tags, reflogs, the fix's commit itself, which an agent finds with `git log --all` (SWE-bench/SWE-bench#465,
 * scaleapi/SWE-bench_Pro-os#93). `later`: where any commit is reachable that the base does not reach, or a remote is
 * set, every ref goes but the current branch, left at the base. `all`: the current branch is left at a commit of the
 * base's tree with no parent. Either way the remotes and reflogs go, and the objects only they reached are pruned.
 */
const KEEP_ONLY = `keep_only() {
  branch=$(git symbolic-ref -q HEAD || true)
  for remote in $(git remote); do git remote remove "$remote"; done
  git for-each-ref --format='delete %(refname)' | git update-ref --stdin
  if [ -n "$branch" ]; then git update-ref "$branch" "$1"; else git update-ref --no-deref HEAD "$1"; fi
  git_dir=$(git rev-parse --git-dir)
  rm -f "$git_dir/ORIG_HEAD" "$git_dir/FETCH_HEAD" "$git_dir/MERGE_HEAD" "$git_dir/CHERRY_PICK_HEAD"
  git reflog expire --expire=now --all
  git repack -a -d -q
  git prune --expire=now
}`;

const HISTORY_REMOVAL: Record<HiddenHistory, string> = {
  later: `${KEEP_ONLY}
later=$(git rev-list --all --reflog --not HEAD --max-count=1)
if [ -n "$later" ] || [ -n "$(git remote)" ]; then keep_only "$(git rev-parse HEAD)"; fi`,
  // A fixed author and date: the same tree makes the same commit, in a re-execution too.
  all: `${KEEP_ONLY}
export GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z
keep_only "$(git -c user.name=rollout -c user.email=rollout@localhost commit-tree -m 'the task' 'HEAD^{tree}')"`,
};

/**
 * HISTORY_REMOVAL `later` in every git repository of the image's file system (the copied one has nothing to hide).
 * Git is told to trust each whatever its owner: a Dockerfile may have cloned as another user than root. No `||`
 * follows a removal: bash ignores `set -e` in what such a list runs.
 */
const IMAGE_HISTORY_REMOVAL = `export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
find / -xdev -name .git -type d -prune -print 2>/dev/null | while IFS= read -r git_dir; do
  (
  cd "$(dirname "$git_dir")"
  set -e
${HISTORY_REMOVAL.later}
  )
  removed=$?
  [ "$removed" -eq 0 ] || { echo "could not hide the later history of $(dirname "$git_dir")" >&2; exit "$removed"; }
done
removed=$?
[ "$removed" -eq 0 ] || exit "$removed"`;

const ACTIVATED_MARK = '--rollout-activated--';

/** Variables that differ after the activation (as `env -0` prints them before and after) and the user's uid and gid. */
async function activatedEnvironment(
  container: Docker.Container,
  user: string,
  workdir: string,
  image: string,
  activate: string | undefined,
): Promise<{ env: string[]; owner: Owner }> {
  const output = await runStartScript(container, {
    script: `id -u; id -g; env -0; printf '\\0${ACTIVATED_MARK}\\0'; { ${activate ?? ':'}
} >/dev/null 2>&1 </dev/null || exit 97; env -0`,
    user,
    workdir,
    what: `activating the environment of ${image}${activate ? ` (${activate})` : ''}`,
  });
  const [uid, gid, rest] = splitIds(output);
  const [before, after] = rest.split(`\0${ACTIVATED_MARK}\0`);
  const base = new Set(before.split('\0'));
  const env = (after ?? '')
    .split('\0')
    .filter((entry) => entry.includes('=') && !base.has(entry) && !/^(_|SHLVL|PWD|OLDPWD)=/.test(entry));
  return { env, owner: { uid: Number(uid), gid: Number(gid) } };
}

function splitIds(output: string): [string, string, string] {
  const first = output.indexOf('\n');
  const second = output.indexOf('\n', first + 1);
  return [output.slice(0, first), output.slice(first + 1, second), output.slice(second + 1)];
}

/**
 * Starts a container whose entrypoint is a start script, writes the script's input to the container's standard
 * input, and returns what the script printed once it has ended, read from the container's own streams (attached
 * before the start, so nothing is missed). Its failure, or the container stopping before the script ended, is the
 * image's, not the agent's.
 */
async function startWithScript(container: Docker.Container, start: StartScript): Promise<string> {
  const stdin = start.input !== undefined;
  // A hijacked attach is the connection's socket (a Duplex); the types know it only as a stream.
  const attach = { stream: true, stdin, stdout: true, stderr: true, hijack: true };
  const stream = (await openWithInput((abortSignal) => container.attach({ ...attach, abortSignal }))) as Duplex;
  try {
    const stdout = new StartScriptStream();
    const stderr = new StartScriptStream();
    container.modem.demuxStream(stream, stdout, stderr);
    const ended = streamEnded(stream);
    if (start.input !== undefined) stream.write(start.input);
    await container.start();
    await Promise.race([Promise.all([stdout.ended, stderr.ended]), ended]);
    const { what } = start;
    if (stdout.status === undefined || stderr.status === undefined)
      throw new InfrastructureError(
        `${what} failed: its container stopped or the engine ended its output (${stderr.text().trim().slice(-2000)})`,
      );
    if (stdout.status !== 0)
      throw new InfrastructureError(`${what} failed (exit ${stdout.status}): ${stderr.text().trim().slice(-2000)}`);
    return stdout.text().trim();
  } finally {
    stream.destroy();
  }
}

/** One stream of a start script: the tail of what it wrote, up to the line with its exit status. */
class StartScriptStream extends Writable {
  private static readonly KEPT_CHARS = 64 * 1024;
  private tail = '';
  private readonly decoder = new StringDecoder('utf8');
  private markSeen!: () => void;
  readonly ended = new Promise<void>((resolve) => (this.markSeen = resolve));
  status: number | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.tail = (this.tail + this.decoder.write(chunk)).slice(-StartScriptStream.KEPT_CHARS);
    const mark = START_STATUS_LINE.exec(this.tail);
    if (mark && this.status === undefined) {
      this.status = Number(mark[1]);
      this.markSeen();
    }
    done();
  }

  /** What the script wrote before its status (its last 64 KiB). */
  text(): string {
    const end = this.tail.lastIndexOf(`\n${START_STATUS_MARK} `);
    return end === -1 ? this.tail : this.tail.slice(0, end);
  }
}

/** A script run once per image and user (the activation's probe); its failure is the image's, not the agent's. */
async function runStartScript(
  container: Docker.Container,
  run: { script: string; user: string; workdir: string; what: string },
): Promise<string> {
  const exec = await container.exec({
    Cmd: ['bash', '-c', run.script],
    AttachStdout: true,
    AttachStderr: true,
    WorkingDir: run.workdir,
    User: run.user,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new CappedSink(16 * 1024 ** 2);
  const stderr = new CappedSink(64 * 1024);
  container.modem.demuxStream(stream, stdout, stderr);
  await streamEnded(stream);
  const exitCode = (await exec.inspect()).ExitCode;
  if (exitCode !== 0)
    throw new InfrastructureError(`${run.what} failed (exit ${exitCode}): ${stderr.text().trim().slice(-2000)}`);
  return stdout.text().trim();
}

/** Resolves when an attached stream is over, however it ends: its end, its close or an error. */
function streamEnded(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

/**
 * Kills every process that carries the mark (but the shell doing it), round after round, until a round finds none
 * alive: a process forked after one round's listing comes from a marked parent that round saw and killed, so the
 * next round lists it. The process group of each goes at once too (all of a fork bomb in one signal), unless it is
 * the group of the shell doing it. Shell builtins only: no process is started, so a fork bomb that holds every pid
 * cannot stop it. Sets `__rollout_clean` when none is left.
 */
function killMarkedProcesses(mark: number): string {
  return `read -r __rollout_stat </proc/$$/stat
__rollout_fields=(\${__rollout_stat##*) })
__rollout_own_group=\${__rollout_fields[2]}
__rollout_round=0
while [ $__rollout_round -lt 100 ]; do
  __rollout_round=$((__rollout_round + 1))
  __rollout_left=0
  for __rollout_process in /proc/[0-9]*; do
    [ "$__rollout_process" = "/proc/$$" ] && continue
    __rollout_limits=
    read -r -d '' __rollout_limits 2>/dev/null <"$__rollout_process/limits"
    case $__rollout_limits in *" ${mark} "*) ;; *) continue ;; esac
    __rollout_stat=
    read -r __rollout_stat 2>/dev/null <"$__rollout_process/stat"
    __rollout_fields=(\${__rollout_stat##*) })
    case \${__rollout_fields[0]} in Z | X | '') continue ;; esac
    __rollout_left=1
    [ "\${__rollout_fields[2]}" != "$__rollout_own_group" ] && kill -KILL -- "-\${__rollout_fields[2]}" 2>/dev/null
    kill -KILL "\${__rollout_process#/proc/}" 2>/dev/null
  done
  [ $__rollout_left -eq 0 ] && __rollout_clean=1 && break
done`;
}

// How the file programs below end when the file is missing, or is not a regular file (a link at the last step,
// which they never follow, included).
const FILE_MISSING = 2;
const NOT_A_REGULAR_FILE = 3;

/**
 * Prints the file at $1 whole. Checked first, then read, by root: nothing of the agent's runs meanwhile (its
 * commands end with every process they started), so a link cannot take the file's place in between.
 */
const READ_FILE_SCRIPT = `[ -L "$1" ] && exit ${NOT_A_REGULAR_FILE}
[ -e "$1" ] || exit ${FILE_MISSING}
[ -f "$1" ] || exit ${NOT_A_REGULAR_FILE}
exec cat -- "$1"`;

/**
 * Writes standard input to the file at $1, by root. A file that exists keeps its owner and mode (an edit must not
 * change a script's mode in the diff); a new one, and the folders made for it when $3 is `make-folders`, belong to
 * $2 (uid:gid). A link at the last step is replaced by the file, never followed.
 */
const WRITE_FILE_SCRIPT = `target=$1 owner=$2
parent=\${target%/*}
if [ ! -d "\${parent:-/}" ]; then
  [ "$3" = make-folders ] || exit ${FILE_MISSING}
  top=$parent
  while [ -n "\${top%/*}" ] && [ ! -d "\${top%/*}" ]; do top=\${top%/*}; done
  mkdir -p -- "$parent" && chown -R -- "$owner" "$top" || exit
fi
if [ -L "$target" ]; then rm -f -- "$target" || exit; fi
if [ -e "$target" ]; then
  [ -f "$target" ] || exit ${NOT_A_REGULAR_FILE}
  exec cat >"$target"
fi
cat >"$target" && chown -- "$owner" "$target"`;

/**
 * The program an exec runs for `command`: its wrapper in bash, the command as an argument. Exported so that
 * bench/sandbox can run the very same program through a bare Engine-API exec.
 */
export function execArgv(command: string, mark = newExecMark()): string[] {
  return ['bash', '-c', commandWrapper(mark), 'rollout-exec', command];
}

/**
 * Marks the exec's bash (see newExecMark), runs the command in a subshell (so that its `exit` or `exec` cannot skip
 * what follows) and, once it has ended, kills whatever it left running (background jobs, setsid escapes), so no
 * process of one command outlives it. One fork beyond a plain `bash -c`; its time limit is kept by the host.
 */
function commandWrapper(mark: number): string {
  return `__rollout_command=$1
ulimit -S -x ${mark}
(set --; eval "$__rollout_command")
__rollout_status=$?
${killMarkedProcesses(mark)}
exit $__rollout_status`;
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

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }
}
