/**
 * The fine-tune runner (sandbox/trainer, Python) seen from TypeScript: the JSON lines it prints and
 * the one interface its two hosts implement — a local virtual environment (`venvRunner.ts`) and a
 * container with the GPUs passed through (`dockerRunner.ts`).
 */

/** One JSON line of the runner's stdout; `event` says which. */
export type RunnerEvent =
  | { event: 'launch'; launcher: string; processes: number; strategy: string }
  | {
      event: 'placement';
      device: string;
      dtype: string;
      attention: string;
      padding_free: boolean;
      gradient_checkpointing: boolean;
      /** Why a faster path is not taken (e.g. no flash-attention kernel: padded batches). */
      note?: string;
    }
  | { event: 'prepared'; [key: string]: unknown }
  | { event: 'start'; max_steps: number; device: string }
  | { event: 'resume'; checkpoint: string }
  | {
      event: 'progress';
      step: number;
      max_steps: number;
      loss: number;
      lr: number | null;
      tokens_per_s: number | null;
      eta_s: number | null;
      epoch: number | null;
    }
  | { event: 'checkpoint'; step: number; path: string }
  | {
      event: 'serving';
      url: string;
      model: string;
      policy: string;
      base_model: string;
      adapter: string | null;
      device: string;
      engine: 'bundled' | 'vllm';
      context_length?: number;
    }
  | { event: 'cancelled'; step?: number; checkpoints?: string; checkpoint?: null }
  | { event: 'error'; kind: string; message: string }
  | { event: 'done'; [key: string]: unknown };

/** What one invocation of the runner asks for: `python -m rollout_trainer <command> <args…>`. */
export interface RunnerInvocation {
  command: 'prepare' | 'sft' | 'dpo' | 'pg' | 'serve' | 'verifier' | 'tiny-model';
  args: string[];
  /** Host paths the runner reads or writes; a container host mounts each of them. */
  paths: string[];
}

export interface RunnerHooks {
  onEvent?: (event: RunnerEvent) => void;
  /** The runner's stderr (library logs, tracebacks), line by line. */
  onLog?: (line: string) => void;
  /** Aborting asks the runner to stop (SIGINT): training saves a checkpoint first, so a rerun resumes. */
  signal?: AbortSignal;
}

export interface RunnerOutcome {
  exitCode: number;
  /** The last event: `done`, `error` or `cancelled` when the runner finished normally. */
  last: RunnerEvent | null;
  cancelled: boolean;
}

export interface TrainerRunner {
  /** Where it runs, for messages: `venv /path` or `docker IMAGE`. */
  readonly description: string;
  run(invocation: RunnerInvocation, hooks: RunnerHooks): Promise<RunnerOutcome>;
  /** Starts a long-running command (serve) and resolves once it printed `ready` (an event name). */
  start(invocation: RunnerInvocation, ready: RunnerEvent['event'], hooks: RunnerHooks): Promise<RunningRunner>;
}

export interface RunningRunner {
  readyEvent: RunnerEvent;
  /** Resolves when the process ends. */
  exited: Promise<RunnerOutcome>;
  stop(): Promise<RunnerOutcome>;
}

/** Exit codes of the runner (rollout_trainer/errors.py, __main__.py). */
export const RUNNER_EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  badData: 3,
  noGpu: 4,
  oom: 5,
  model: 6,
  cancelled: 130,
} as const;

/** Parses one stdout line; null for anything that is not a runner event (it is logged, not lost). */
export function parseRunnerLine(line: string): RunnerEvent | null {
  if (!line.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { event?: unknown }).event === 'string')
      return parsed as RunnerEvent;
  } catch {
    return null;
  }
  return null;
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/** Routes a runner's stdout (JSON events) and stderr (logs) to the hooks and remembers the last event. */
export class RunnerOutput {
  last: RunnerEvent | null = null;
  readonly stdout = lineSplitter((line) => {
    const event = parseRunnerLine(line);
    if (event) {
      this.last = event;
      this.hooks.onEvent?.(event);
    } else if (line.trim()) this.hooks.onLog?.(line);
  });
  readonly stderr = lineSplitter((line) => this.hooks.onLog?.(line));

  constructor(private readonly hooks: RunnerHooks) {}

  end(): void {
    this.stdout.end();
    this.stderr.end();
  }
}

/** A started runner process: when it ends, and how to ask it to stop. */
export interface Supervised {
  exited: Promise<RunnerOutcome>;
  stop(): Promise<RunnerOutcome>;
}

/** Resolves once the ready event arrives; rejects with the runner's last word if it exits first. */
export async function awaitReady(readyEvent: Promise<RunnerEvent>, supervised: Supervised): Promise<RunningRunner> {
  const first = await Promise.race([
    readyEvent.then((event) => ({ ready: true as const, event })),
    supervised.exited.then((outcome) => ({ ready: false as const, outcome })),
  ]);
  if (!first.ready) {
    throw new Error(
      `the trainer exited (code ${first.outcome.exitCode}) before it was ready: ${describeLast(first.outcome.last)}`,
    );
  }
  return { readyEvent: first.event, exited: supervised.exited, stop: () => supervised.stop() };
}

export function describeLast(last: RunnerEvent | null): string {
  if (!last) return 'no output (see the log above)';
  return last.event === 'error' ? `${last.kind}: ${last.message}` : JSON.stringify(last);
}

/** A progress event as one human line: `step 12/100  loss 1.234  lr 2.0e-4  1520 tok/s  eta 1m05s`. */
export function formatRunnerEvent(event: RunnerEvent): string {
  switch (event.event) {
    case 'progress': {
      const parts = [`step ${event.step}/${event.max_steps}`, `loss ${event.loss.toFixed(4)}`];
      if (event.lr !== null) parts.push(`lr ${event.lr.toExponential(1)}`);
      if (event.tokens_per_s !== null) parts.push(`${Math.round(event.tokens_per_s)} tok/s`);
      if (event.eta_s !== null) parts.push(`eta ${formatDuration(event.eta_s)}`);
      return parts.join('  ');
    }
    case 'placement': {
      const line = `device ${event.device} (${event.dtype}, attention ${event.attention}, padding-free ${event.padding_free ? 'on' : 'off'}, gradient checkpointing ${event.gradient_checkpointing ? 'on' : 'off'})`;
      return event.note ? `${line}: ${event.note}` : line;
    }
    case 'launch':
      return `${event.launcher}: ${event.processes} processes (${event.strategy})`;
    case 'checkpoint':
      return `checkpoint at step ${event.step}: ${event.path}`;
    case 'resume':
      return `resuming from ${event.checkpoint}`;
    case 'error':
      return `error (${event.kind}): ${event.message}`;
    default: {
      const { event: name, ...rest } = event as { event: string } & Record<string, unknown>;
      return `${name} ${JSON.stringify(rest)}`;
    }
  }
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}
