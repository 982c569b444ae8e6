import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { openWithInput } from './engine';

/**
 * The shell loop a runner is: it reads one command at a time from its standard input (NUL-separated fields: a
 * nonce, the working directory, the count and `NAME=value` entries of the environment to add, the count and words
 * of the program to start, the length of the program's input; then that many bytes of input), starts the program
 * in that directory with that environment and that input (or /dev/null) as its standard input, waits for it, and
 * then writes an end line carrying the nonce on standard output (with the program's exit status, or why it was not
 * started: `no-directory`, `no-input`, `input-cut`) and on standard error. Each pipe keeps its order, so once both
 * end lines are in, all of the program's output is.
 * An input is kept in a temporary file and checked whole before the program starts: a program that stops reading
 * early must not leave the rest to be read as the next command, and one given part of its input may still succeed.
 * Cut short, the input's way in has ended: the runner reports it and ends.
 * The program gets what an exec of the engine would give it: its own process group (job control, so that a `kill
 * 0` of the command's never reaches the runner), no descriptor but its three, the engine's environment (the
 * runner's variables are not exported; SHLVL and OLDPWD put back as a fresh shell has them) and a standard error
 * of its own (the shell's notes on a job it saw killed go nowhere).
 */
const RUNNER_LOOP = `set -m
exec 3>&2 2>/dev/null
__runner_read_list() {
  IFS= read -r -d '' __runner_count
  __runner_list=()
  for ((__runner_index = 0; __runner_index < __runner_count; __runner_index++)); do
    IFS= read -r -d '' __runner_word
    __runner_list+=("$__runner_word")
  done
}
while IFS= read -r -d '' __runner_nonce; do
  IFS= read -r -d '' __runner_directory
  __runner_read_list
  __runner_environment=("\${__runner_list[@]}")
  __runner_read_list
  __runner_program=("\${__runner_list[@]}")
  IFS= read -r -d '' __runner_input_length
  __runner_input=/dev/null
  __runner_status=
  if [ "$__runner_input_length" -gt 0 ]; then
    if __runner_input=$(mktemp); then
      head -c "$__runner_input_length" >"$__runner_input"
      [ "$(wc -c <"$__runner_input")" -eq "$__runner_input_length" ] || __runner_status=input-cut
    else
      head -c "$__runner_input_length" >/dev/null
      __runner_status=no-input
    fi
  fi
  if [ -z "$__runner_status" ] && cd -- "$__runner_directory"; then
    (
      unset OLDPWD
      export SHLVL=0 "\${__runner_environment[@]}"
      exec "\${__runner_program[@]}" 2>&3 3>&-
    ) <"$__runner_input"
    __runner_status=$?
  fi
  __runner_status=\${__runner_status:-no-directory}
  case $__runner_input in /dev/null | '') ;; *) rm -f -- "$__runner_input" ;; esac
  printf '\\0rollout-end %s %s\\n' "$__runner_nonce" "$__runner_status"
  printf '\\0rollout-end %s\\n' "$__runner_nonce" >&3
done`;

/** How a program sent to a runner ended. */
export type RunnerOutcome =
  | { kind: 'exited'; status: number }
  /** The working directory does not exist, or the runner's user may not enter it; nothing was started. */
  | { kind: 'no-directory' }
  /** The input could not be kept in a temporary file (no writable TMPDIR or /tmp); nothing was started. */
  | { kind: 'no-input' }
  /** The input arrived cut short (its way in ended, and so does the runner); nothing was started. */
  | { kind: 'input-cut' }
  /** The runner itself ended (killed, or its container stopped) before the program's end was reported. */
  | { kind: 'runner-ended' }
  /** The runner was closed (see `close`) before the program's end was reported. */
  | { kind: 'closed' };

interface Running {
  stdout: EndLineSplitter;
  stderr: EndLineSplitter;
  settle: (outcome: RunnerOutcome) => void;
}

/**
 * One long-lived exec in a container, as one user, that starts the programs sent to it one at a time. A program
 * started this way costs a fork in the container instead of an exec of the engine (a round of requests and the
 * runtime's setting up of a process, ~5× the program's own start): what an agent's every command pays.
 */
export class CommandRunner {
  private running: Running | undefined;
  private hasEnded = false;

  private constructor(
    private readonly exec: Docker.Exec,
    private readonly socket: Socket,
  ) {
    socket.on('close', () => this.end('runner-ended'));
    socket.on('error', () => this.end('runner-ended'));
    socket.unref();
  }

  /** Starts a runner in `container` as `user` with `env` added to the container's environment. */
  static async start(
    container: Docker.Container,
    modem: { demuxStream(stream: NodeJS.ReadableStream, stdout: Writable, stderr: Writable): void },
    user: string,
    env: string[],
  ): Promise<CommandRunner> {
    const exec = await container.exec({
      Cmd: ['bash', '-c', RUNNER_LOOP],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      User: user,
      Env: env,
    });
    const socket = (await openWithInput((abortSignal) =>
      exec.start({ hijack: true, stdin: true, abortSignal }),
    )) as Socket;
    const runner = new CommandRunner(exec, socket);
    modem.demuxStream(socket, runner.output('stdout'), runner.output('stderr'));
    return runner;
  }

  /** Whether the runner can be sent these words: its fields are NUL-separated (an exec refuses such words too). */
  static carries(words: string[]): boolean {
    return words.every((word) => !word.includes('\0'));
  }

  /** True while the runner can take a program now: it is alive and runs none. */
  get idle(): boolean {
    return !this.hasEnded && !this.running;
  }

  /** True once the runner has ended (killed, closed, or its container stopped): it takes no more programs. */
  get ended(): boolean {
    return this.hasEnded;
  }

  /**
   * Starts `program` in `directory` with `env` added and `input` (if any) as its standard input; its output goes to
   * `stdout` and `stderr` as it comes.
   */
  run(
    program: string[],
    directory: string,
    env: string[],
    streams: { input?: Buffer; stdout: Writable; stderr: Writable },
  ): Promise<RunnerOutcome> {
    const { input, stdout, stderr } = streams;
    if (!this.idle) throw new Error('the command runner is busy or has ended');
    const nonce = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      const settle = (outcome: RunnerOutcome) => {
        this.running = undefined;
        this.socket.unref();
        resolve(outcome);
      };
      // Settled once both end lines are in; the status is on standard output's.
      const onEnd = () => {
        const status = running.stdout.endLine;
        if (status === undefined || running.stderr.endLine === undefined) return;
        // A runner whose input was cut short has lost its way in: it ends, and takes no more programs.
        if (status === 'input-cut') this.hasEnded = true;
        if (status === 'no-directory' || status === 'no-input' || status === 'input-cut') settle({ kind: status });
        else settle({ kind: 'exited', status: Number(status) });
      };
      const running: Running = {
        stdout: new EndLineSplitter(nonce, stdout, onEnd),
        stderr: new EndLineSplitter(nonce, stderr, onEnd),
        settle,
      };
      this.running = running;
      this.socket.ref();
      const inputLength = input?.length ?? 0;
      const fields = [
        nonce,
        directory,
        String(env.length),
        ...env,
        String(program.length),
        ...program,
        String(inputLength),
      ];
      this.socket.write(fields.map((field) => `${field}\0`).join(''));
      if (input?.length) this.socket.write(input);
    });
  }

  /** Whether the runner's process still runs, as the engine sees it (after its stream ended: it was lost). */
  async stillRuns(): Promise<boolean> {
    return (await this.exec.inspect()).Running;
  }

  /** Ends the runner: a program it runs is reported as `closed`. */
  close(): void {
    this.end('closed');
    this.socket.destroy();
  }

  private end(kind: 'runner-ended' | 'closed'): void {
    this.hasEnded = true;
    if (!this.running) return;
    this.running.stdout.flush();
    this.running.stderr.flush();
    this.running.settle({ kind });
  }

  /** The runner's stream `name`, handed on to whichever program's splitter is current. */
  private output(name: 'stdout' | 'stderr'): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        // Output with no program running (a process that escaped its command's clean-up) belongs to none.
        this.running?.[name].take(chunk);
        done();
      },
    });
  }
}

/**
 * Passes a program's output on to its sink until the runner's end line for it (which it takes out), holding back
 * only bytes that could be the start of that line.
 */
class EndLineSplitter {
  private held = Buffer.alloc(0);
  private readonly marker: Buffer;
  /** What the end line says after the nonce, once it is in. */
  endLine: string | undefined;

  constructor(
    nonce: string,
    private readonly sink: Writable,
    private readonly onEnd: () => void,
  ) {
    this.marker = Buffer.from(`\0rollout-end ${nonce}`);
  }

  take(chunk: Buffer): void {
    if (this.endLine !== undefined) return;
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const start = data.indexOf(this.marker);
    if (start >= 0) {
      const lineEnd = data.indexOf(10, start + this.marker.length);
      this.pass(data.subarray(0, start));
      this.held = Buffer.from(data.subarray(start));
      if (lineEnd < 0) return;
      this.endLine = data
        .subarray(start + this.marker.length, lineEnd)
        .toString('latin1')
        .trim();
      this.onEnd();
      return;
    }
    const kept = this.possibleMarkerStart(data);
    this.pass(data.subarray(0, kept));
    this.held = Buffer.from(data.subarray(kept));
  }

  /** Passes on what was held back: the end line will not come. */
  flush(): void {
    if (this.endLine !== undefined) return;
    this.pass(this.held);
    this.held = Buffer.alloc(0);
  }

  /** Where the longest end of `data` that begins the marker starts (`data.length` when none does). */
  private possibleMarkerStart(data: Buffer): number {
    for (let start = Math.max(0, data.length - this.marker.length + 1); start < data.length; start++) {
      if (data[start] !== 0) continue;
      if (this.marker.subarray(0, data.length - start).equals(data.subarray(start))) return start;
    }
    return data.length;
  }

  // Not copied: the demultiplexer hands on slices of buffers it never writes to again.
  private pass(bytes: Buffer): void {
    if (bytes.length) this.sink.write(bytes);
  }
}
