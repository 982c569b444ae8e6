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

export interface FileEntry {
  /** Path relative to the listed directory, with `/` separators. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
}

/** An opaque handle to a saved sandbox state, valid until the sandbox is destroyed. */
export interface SnapshotRef {
  id: string;
}

export interface Sandbox {
  readonly id: string;
  /** Absolute path of the repository root inside the sandbox. */
  readonly workdir: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, content: string | Buffer): Promise<void>;
  listFiles(dir: string): Promise<FileEntry[]>;
  /** The work tree against the base commit as a binary-safe git patch, new files included. */
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
  /** A Docker image reference, e.g. one of `rollout-studio/python:<hash>` built by `rollout images build`. */
  image: string;
  repo?: RepoSource;
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
