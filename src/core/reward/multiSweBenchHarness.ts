/**
 * Multi-SWE-bench's own log parsers, run in the harness the user installed (`pip install multi-swe-bench`), for
 * the rows no parser here reads as the harness does: Multi-SWE-RL's pull-request ranges and releases, whose
 * harness registers a parser written for each (1,800 of them). A bundled script imports the harness in the Python
 * that `ROLLOUT_HARNESS_PYTHON` names (`python3` when unset) and reads logs with the parser it picks for the row.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../paths';
import { multiSweBenchHarnessName } from '../task/multiSweBenchSource';
import type { HarnessPullRequest, Task } from '../task/task';
import type { LogParserName } from './logParsers/index';
import { LogParseError, type HarnessReadings, type StatusMap } from './testStatus';

/** The log parser that defers to the harness: a task's test logs are read there before grading. */
export const HARNESS_LOG_PARSER: LogParserName = 'mswebench_harness';

/** The exit status of the script where the harness does not import. */
const HARNESS_MISSING = 3;
/** A harness left idle this long ends, giving its memory back; the next reading starts another. */
const IDLE_MS = 120_000;

export function harnessPython(): string {
  return process.env.ROLLOUT_HARNESS_PYTHON || 'python3';
}

function script(): string {
  return join(packageRoot(), 'sandbox', 'harness', 'read_mswebench_logs.py');
}

class HarnessError extends Error {
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

/** What the installed harness is: the names it registers parsers under, and its identity. */
export interface InstalledHarness {
  names: Set<string>;
  identity: HarnessIdentity;
}

type Answer = { readings: Reading[] } | { unregistered: string };

/**
 * The bundled script, running in the harness's Python: it imports the harness once (seconds: thousands of
 * parsers) and then reads logs on request, one JSON line each way, in the order asked. While nothing is asked
 * it keeps no program alive, and after a while it ends.
 */
class HarnessProcess {
  readonly installed: Promise<InstalledHarness>;
  ended: HarnessError | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private unread: Buffer[] = [];
  private stderrTail = '';
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly python: string) {
    this.child = spawn(python, [script()], { stdio: 'pipe' });
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

  async ask(request: object): Promise<Answer> {
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

/** What to do where the harness is not usable. */
export const INSTALL = 'install it (pip install multi-swe-bench; ROLLOUT_HARNESS_PYTHON names the Python it is in)';

let current: HarnessProcess | undefined;

/** The harness in the Python `ROLLOUT_HARNESS_PYTHON` names, started where none is running there. */
function harnessProcess(): HarnessProcess {
  const python = harnessPython();
  if (!current || current.ended || current.python !== python) current = new HarnessProcess(python);
  return current;
}

/** The harness installed in the Python `ROLLOUT_HARNESS_PYTHON` names; rejects where it is not usable. */
export function installedHarness(): Promise<InstalledHarness> {
  return harnessProcess().installed;
}

/** The name the harness registers the task's parser under. */
export function harnessName(task: Task): string {
  return multiSweBenchHarnessName(pullRequestOf(task));
}

function pullRequestOf(task: Task): HarnessPullRequest {
  if (!task.harnessPullRequest)
    throw new Error(`task ${task.id}: the log parser ${HARNESS_LOG_PARSER} reads Multi-SWE-bench rows only`);
  return task.harnessPullRequest;
}

/**
 * Throws, naming what to do, unless the installed harness has a parser for `task`: a run checks this before it
 * starts the task, so that no rollout is made that cannot be graded.
 */
export async function requireHarnessParser(task: Task): Promise<void> {
  const name = harnessName(task);
  const orSpec = `or pass --specs FILE with a test_framework for ${name} (docs/instances.md)`;
  let names: Set<string>;
  try {
    ({ names } = await installedHarness());
  } catch (error) {
    throw new Error(
      `task ${task.id}: its test logs are read by Multi-SWE-bench's own parser for ${name}, and the harness is not usable: ${(error as Error).message}; ${INSTALL}, ${orSpec}`,
    );
  }
  if (!names.has(name))
    throw new Error(
      `task ${task.id}: Multi-SWE-bench's harness in ${harnessPython()} registers no parser for ${name}; ${orSpec}`,
    );
}

interface Reading {
  passed?: string[];
  failed?: string[];
  skipped?: string[];
  error?: string;
}

function statusMap(reading: Reading): StatusMap | LogParseError {
  if (reading.error !== undefined)
    return new LogParseError(`Multi-SWE-bench's parser refused the log: ${reading.error}`);
  const statuses: StatusMap = new Map();
  // The harness's result keeps the three sets apart (it refuses one where they meet), so the order is moot.
  for (const [tests, status] of [
    [reading.passed, 'PASSED'],
    [reading.failed, 'FAILED'],
    [reading.skipped, 'SKIPPED'],
  ] as const)
    for (const test of tests ?? []) statuses.set(test, status);
  return statuses;
}

/** Each of `logs` read by the parser the installed harness picks for `task`'s pull request. */
export async function readWithHarness(task: Task, logs: string[]): Promise<HarnessReadings> {
  const unread = (why: string) =>
    new Error(`task ${task.id}: Multi-SWE-bench's harness could not read its test logs: ${why}`);
  let answer: Answer;
  try {
    answer = await harnessProcess().ask({ pull_request: pullRequestOf(task), logs });
  } catch (error) {
    const code = error instanceof HarnessError ? error.exitCode : null;
    throw unread(code === HARNESS_MISSING ? 'the harness is not installed' : (error as Error).message);
  }
  if ('unregistered' in answer) throw unread(answer.unregistered);
  return new Map(logs.map((log, index) => [log, statusMap(answer.readings[index])]));
}
