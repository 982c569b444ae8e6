/** A repository inside an isolated environment that an agent (or a grader) can act in. */

export interface ExecOptions {
  /** Working directory inside the sandbox; defaults to the repository root. */
  cwd?: string;
  env?: Record<string, string>;
  /** Wall-clock limit; on expiry the whole process tree of the command is killed. */
  timeoutMs?: number;
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  /** Largest number of bytes kept per stream; the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
  /** Run as root instead of the sandbox's unprivileged user (graders installing things, never the agent). */
  asRoot?: boolean;
  /** Called with the output as it arrives (for a live view); the result still holds all of it. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Aborting kills the command's whole process tree at once; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when either stream went past `maxOutputBytes`. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

/** An opaque handle to a saved sandbox state, valid until the sandbox is destroyed. */
export interface SnapshotRef {
  id: string;
}

export interface Sandbox {
  readonly id: string;
  /** Absolute path of the repository root inside the sandbox. */
  readonly workdir: string;
  /** The commit `diff()` compares against; undefined when the sandbox holds no repository. */
  readonly baseCommit?: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** The bytes of a regular file; a link at the last step is refused, never followed. */
  readFile(path: string): Promise<Buffer>;
  /**
   * Writes a file whole, making missing folders under the work tree. A file that exists keeps its owner and mode;
   * a link at the last step is replaced by the file, never followed.
   */
  writeFile(path: string, content: string | Buffer): Promise<void>;
  /**
   * The work tree against the base commit as a binary-safe git patch, new files included. Throws
   * BrokenRepositoryError when what ran in the sandbox broke the repository so that git cannot take one.
   */
  diff(): Promise<string>;
  snapshot(): Promise<SnapshotRef>;
  restore(snapshot: SnapshotRef): Promise<void>;
  destroy(): Promise<void>;
}

/** Where a repository comes from: a local folder (git repository or plain files) or a git URL. */
export interface RepoSource {
  /** Local path or git URL. */
  location: string;
  /** Commit to check out; a plain folder has none and is taken as it is. */
  commit?: string;
}

export interface SandboxSpec {
  /** A Docker image reference: a profile image (`rollout-studio/python:<hash>`), a task's own, or an instance image. */
  image: string;
  /** Builds `image` from this Dockerfile on the sandbox's own engine when that engine lacks it. */
  dockerfile?: string;
  /** Copied into `workdir` at the start; absent for an instance image, which holds its repository already. */
  repo?: RepoSource;
  /**
   * With `repo`: every other git repository the image holds (a task Dockerfile's clone) loses what came after its
   * checked-out commit, as an instance's repository does for an agent (InstanceSetup.hideHistory `later`).
   */
  hideImageHistory?: boolean;
  /** The image's own repository and environment, used as they are (benchmark instance images). */
  instance?: InstanceSetup;
  /** Repository root inside the sandbox. */
  workdir?: string;
  /** Groups the containers of one run so they can be found and cleaned up together. */
  runId?: string;
  /** The engine to start it on, written like DOCKER_HOST (unix://, tcp://, ssh://); DOCKER_HOST or the local socket when absent. */
  dockerHost?: string;
  network?: boolean;
  memoryBytes?: number;
  cpus?: number;
  pidsLimit?: number;
  /** Largest file a process in the sandbox may write (RLIMIT_FSIZE): a write past it ends the writer with SIGXFSZ. */
  maxFileBytes?: number;
  /** Pull and build progress of a missing image, a line at a time. */
  onProgress?: (line: string) => void;
  /** Aborting stops the pull or build of a missing image at once; the start then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Starts a sandbox for a spec: the Docker engine's in the product, a counting or failing one in tests. */
export type SandboxFactory = (spec: SandboxSpec) => Promise<Sandbox>;

/** What of an instance's repository history an agent must not see (InstanceSetup.hideHistory). */
export type HiddenHistory = 'later' | 'all';

/**
 * How a sandbox uses an image that already holds the repository at `workdir` (the SWE-bench harness's
 * `/testbed`): nothing is copied in, commands run as the image's own user with its environment activated, and
 * diffs are taken against the commit checked out there once `setup` has run.
 */
export interface InstanceSetup {
  /**
   * Shell lines that activate the image's environment (`source /opt/miniconda3/bin/activate && conda activate
   * testbed`); every command runs with the variables they leave.
   */
  activate?: string;
  /** A script run once as root in `workdir` before the base commit is taken (e.g. applying a bug patch). */
  setup?: string;
  /** Standard input of `setup` (the patch it applies). */
  setupInput?: string;
  /**
   * What of the repository's history is removed before the agent starts, so that it cannot read the answer there:
   * `later`, what lies past the base commit (branches, tags and remote refs the base is not on, reflogs, and the
   * objects only they reach); `all`, every commit, the base's tree kept as the one commit (a SWE-smith bug, whose
   * parent commit is the fix). A grader's sandbox keeps it all: SWE-bench Pro checks the fix's test files out of it.
   */
  hideHistory?: HiddenHistory;
}

/** Thrown when the container engine or image is missing or broken: never a wrong answer by the agent. */
export class InfrastructureError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'InfrastructureError';
  }
}

/**
 * Thrown by `diff()` when git cannot take the work tree's patch because the repository is broken (its `.git`
 * removed or corrupted, the base commit gone): done by what ran in the sandbox, the agent, never the machinery.
 */
export class BrokenRepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokenRepositoryError';
  }
}

/** The work tree's patch, or why git takes none (the agent broke the repository); any other failure is thrown. */
export async function takeDiff(sandbox: Sandbox): Promise<{ diff: string } | { broken: string }> {
  try {
    return { diff: await sandbox.diff() };
  } catch (error) {
    if (error instanceof BrokenRepositoryError) return { broken: error.message };
    throw error;
  }
}
