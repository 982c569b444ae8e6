/**
 * A benchmark's own harness, run in the Python the user installed it in, reading logs for the grader: a bundled
 * script under `sandbox/harness/` imports the harness once (seconds, for thousands of parsers) and then answers
 * requests, one JSON line each way, in the order asked. Its first line says what it is: the names it has parsers
 * under and the harness's identity. While nothing is asked it keeps no program alive, and after a while it ends.
 * Multi-SWE-bench's harness (multiSweBenchHarness.ts) and SWE-rebench-V2's (sweRebenchV2Harness.ts) are read so.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../paths';

/** The exit status of a script whose harness does not import. */
export const HARNESS_MISSING = 3;
/** A harness left idle this long ends, giving its memory back; the next reading starts another. */
const IDLE_MS = 120_000;

/** The Python the harnesses are installed in: `ROLLOUT_HARNESS_PYTHON`, else `python3`. */
export function harnessPython(): string {
  return process.env.ROLLOUT_HARNESS_PYTHON || 'python3';
}

export class HarnessError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** The installed harness's release and a digest of its code, which together say which parsers read a log. */
export interface HarnessIdentity {
  version: string | null;
  source_sha256: string;
}

/** What the installed harness is: the names it has parsers under, and its identity. */
export interface InstalledHarness {
  names: Set<string>;
  identity: HarnessIdentity;
}

export class HarnessProcess {
  readonly installed: Promise<InstalledHarness>;
  ended: HarnessError | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private unread: Buffer[] = [];
  private stderrTail = '';
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly python: string,
    readonly script: string,
    readonly variant: string,
  ) {
    this.child = spawn(python, [join(packageRoot(), 'sandbox', 'harness', script)], { stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk).slice(-4096)));
    this.child.on('error', (error) => this.end(new HarnessError(`cannot run ${python}: ${error.message}`, null)));
    this.child.on('close', (code, signal) =>
      this.end(new HarnessError(`${python} exited ${code ?? signal}: ${this.words()}`, code)),
    );
    // A script that died before reading its input reports through its exit status, not through EPIPE.
    this.child.stdin.on('error', () => undefined);
    this.installed = this.answer().then((line) => {
      const first = JSON.parse(line) as { names: string[]; harness: HarnessIdentity };
      return { names: new Set(first.names), identity: first.harness };
    });
    this.installed.catch(() => undefined);
  }

  async ask<Answer>(request: object): Promise<Answer> {
    if (this.ended) throw this.ended;
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return JSON.parse(await this.answer()) as Answer;
  }

  private answer(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.keepAlive(true);
    });
  }

  private read(chunk: Buffer): void {
    let newline = chunk.indexOf(0x0a);
    while (newline >= 0) {
      const line = Buffer.concat([...this.unread, chunk.subarray(0, newline)]).toString('utf8');
      this.unread = [];
      chunk = chunk.subarray(newline + 1);
      newline = chunk.indexOf(0x0a);
      this.waiting.shift()?.resolve(line);
    }
    if (chunk.length > 0) this.unread.push(chunk);
    this.keepAlive(this.waiting.length > 0);
  }

  /** While asked, the harness holds the program open; idle, it lets go, and ends after a while. */
  private keepAlive(asked: boolean): void {
    clearTimeout(this.idleTimer);
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Socket[])
      if (asked) handle.ref();
      else handle.unref();
    if (!asked && !this.ended) this.idleTimer = setTimeout(() => this.retire(), IDLE_MS).unref();
  }

  /** Ends it: marked ended first, so that nothing more is asked of a harness reading the end of its input. */
  private retire(): void {
    this.end(new HarnessError(`${this.python} ended, idle`, null));
    this.child.stdin.end();
  }

  private words(): string {
    return this.stderrTail.trim().split('\n').slice(-3).join(' ') || 'no message';
  }

  private end(error: HarnessError): void {
    if (this.ended) return;
    this.ended = error;
    this.keepAlive(false);
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }
}

const running = new Map<string, HarnessProcess>();

/**
 * The harness process of `script` in the Python `ROLLOUT_HARNESS_PYTHON` names, started where none is running
 * there; `variant` names what else it reads (a harness's checkout), so that another starts another.
 */
export function harnessProcess(script: string, variant = ''): HarnessProcess {
  const python = harnessPython();
  const current = running.get(script);
  if (current && !current.ended && current.python === python && current.variant === variant) return current;
  const started = new HarnessProcess(python, script, variant);
  running.set(script, started);
  return started;
}
