import { spawn, type ChildProcess } from 'node:child_process';
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

/** How long a cancelled runner gets to write its checkpoint before a second, immediate stop. */
const CHECKPOINT_GRACE_MS = 60_000;
const KILL_GRACE_MS = 10_000;

/** Runs the runner with a local python (normally the pinned venv's, see `ensureVenv`). */
export class VenvRunner implements TrainerRunner {
  readonly description: string;

  constructor(
    private readonly python: string,
    private readonly trainer = trainerDir(),
  ) {
    this.description = `venv ${python}`;
  }

  run(invocation: RunnerInvocation, hooks: RunnerHooks): Promise<RunnerOutcome> {
    return this.supervise(this.spawn(invocation), hooks).exited;
  }

  async start(invocation: RunnerInvocation, ready: RunnerEvent['event'], hooks: RunnerHooks): Promise<RunningRunner> {
    let markReady: (event: RunnerEvent) => void = () => {};
    const readyEvent = new Promise<RunnerEvent>((resolve) => (markReady = resolve));
    const supervised = this.supervise(this.spawn(invocation), {
      ...hooks,
      onEvent: (event) => {
        if (event.event === ready) markReady(event);
        hooks.onEvent?.(event);
      },
    });
    return awaitReady(readyEvent, supervised);
  }

  private spawn(invocation: RunnerInvocation): ChildProcess {
    return spawn(this.python, ['-m', 'rollout_trainer', invocation.command, ...invocation.args], {
      cwd: this.trainer,
      env: { ...process.env, PYTHONPATH: this.trainer, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  private supervise(child: ChildProcess, hooks: RunnerHooks): Supervised {
    let cancelled = false;
    const output = new RunnerOutput(hooks);
    child.stdout?.on('data', (chunk: Buffer) => output.stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.stderr.push(chunk));
    const timers: NodeJS.Timeout[] = [];
    const exited = new Promise<RunnerOutcome>((resolve, reject) => {
      child.on('error', (error) => reject(new Error(`cannot start the trainer (${this.python}): ${error.message}`)));
      child.on('close', (code, signal) => {
        timers.forEach(clearTimeout);
        hooks.signal?.removeEventListener('abort', stop);
        output.end();
        const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 1);
        resolve({ exitCode, last: output.last, cancelled: cancelled || output.last?.event === 'cancelled' });
      });
    });
    function stop(): void {
      if (cancelled || child.exitCode !== null) return;
      cancelled = true;
      child.kill('SIGINT');
      timers.push(setTimeout(() => child.kill('SIGINT'), CHECKPOINT_GRACE_MS));
      timers.push(setTimeout(() => child.kill('SIGKILL'), CHECKPOINT_GRACE_MS + KILL_GRACE_MS));
    }
    if (hooks.signal?.aborted) stop();
    else hooks.signal?.addEventListener('abort', stop, { once: true });
    return {
      exited,
      stop: () => {
        stop();
        return exited;
      },
    };
  }
}
