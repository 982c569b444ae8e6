import { mkdir, open, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileWriteError, writeFileAtomic } from '../atomicFile';
import { InfrastructureError } from '../sandbox/sandbox';
import { addCost } from './cost';
import { readLines } from './lines';
import { upgradeLine } from './migrate';
import { readTrajectoryLog, formatProblem, TRAJECTORY_FILE } from './reader';
import { REDACTED, redactResult, redactTurn, Redactor } from './redact';
import { RUN_INDEX_FILE, updateRunIndex, runIndexEntry, type RunIndexEntry } from './runIndex';
import { checkTrajectoryEvent } from './schema';
import {
  TRAJECTORY_SCHEMA_VERSION,
  type RunEvent,
  type RunMetadata,
  type RunResult,
  type Trajectory,
  type TrajectoryEvent,
  type Turn,
} from './types';

export interface RecorderOptions {
  /** Redacts secrets from every line before it is written; defaults to one built from `process.env`. */
  redactor?: Redactor;
  /** Extra secret strings (API keys from config files) to redact. */
  secrets?: string[];
  /** fsync after each line (default true): a finished turn survives a crash of the process or machine. */
  fsync?: boolean;
  /** Called before each line is written; throws LeaseLostError once this process may no longer write the run. */
  beforeWrite?: () => Promise<void>;
  /** Called after each line is flushed, in order, e.g. to copy the log to shared storage. */
  afterWrite?: (path: string) => Promise<void>;
}

/**
 * This process no longer owns the run (a queue worker whose lock on the job expired): another process may be
 * writing it now, so nothing more is written here, not even a closing line.
 */
export class LeaseLostError extends Error {}

/** What `finish` needs; `ended_at` and `totals` are filled in when omitted. */
export type FinishInput = Omit<RunResult, 'ended_at' | 'totals'> & Partial<Pick<RunResult, 'ended_at' | 'totals'>>;

/** A turn as the agent loop hands it over; `index` is assigned when omitted. */
export type TurnInput = Omit<Turn, 'index'> & { index?: number };

const SAFE_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Writes one run's append-only log at `<outDir>/<run_id>/trajectory.jsonl` and keeps the output
 * folder's run index up to date. Every line is redacted, checked against the schema, then written
 * whole and flushed, so a killed run stays readable up to its last finished turn.
 */
export class TrajectoryRecorder {
  private writes: Promise<void> = Promise.resolve();
  /** One entry per recorded turn (resumed ones included): their signals, and by their number the next index. */
  private readonly signals: Array<Turn['signals']> = [];
  private readonly totals: NonNullable<RunResult['totals']> = {
    turns: 0,
    tokens_in: 0,
    tokens_out: 0,
    cost_usd: 0,
    duration_ms: 0,
  };
  private finished = false;
  /** Redaction took text out of the conversation recorded so far: see `withoutStalePromptIds`. */
  private conversationRedacted = false;

  private constructor(
    readonly outDir: string,
    readonly run: RunMetadata,
    readonly path: string,
    readonly redactor: Redactor,
    private readonly handle: FileHandle,
    private readonly options: RecorderOptions,
    /** The log's length after its last whole line. */
    private length: number,
  ) {}

  /** Starts a new run; fails if the run's log already exists (resume it instead). */
  static async start(outDir: string, run: RunMetadata, options: RecorderOptions = {}): Promise<TrajectoryRecorder> {
    assertSafeRunId(run.run_id);
    const runDir = join(outDir, run.run_id);
    const path = join(runDir, TRAJECTORY_FILE);
    await options.beforeWrite?.();
    let handle: FileHandle;
    try {
      await mkdir(runDir, { recursive: true });
      // Appending (O_APPEND): a line cut short is truncated away, and the next one must land where it began.
      handle = await open(path, 'ax');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`${path} already exists: resume run '${run.run_id}' or choose a new run id`);
      }
      throw recordingFailure(run.run_id, path, error);
    }
    const recorder = new TrajectoryRecorder(outDir, run, path, redactorFor(options), handle, options, 0);
    await recorder
      .append({ type: 'run_started', schema_version: TRAJECTORY_SCHEMA_VERSION, run })
      .catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
    await recorder.index(runIndexEntry(run));
    return recorder;
  }

  /**
   * Reopens an unfinished or cancelled run: drops a torn final line, and a cancelled run's `run_finished` line (the
   * `resumed` event keeps the cancel's time and reason), returns the turns recorded so far, and appends a `resumed`
   * event. Fails on a run that finished otherwise or a log with malformed lines (naming each one).
   */
  static async resume(
    outDir: string,
    runId: string,
    options: RecorderOptions = {},
  ): Promise<{ recorder: TrajectoryRecorder; trajectory: Trajectory }> {
    assertSafeRunId(runId);
    const path = join(outDir, runId, TRAJECTORY_FILE);
    const read = await readTrajectoryLog(path);
    if (read.problems.length > 0) {
      throw new Error(`cannot resume ${path}: ${read.problems.map(formatProblem).join('; ')}`);
    }
    const trajectory = read.trajectory;
    if (!trajectory) throw new Error(`cannot resume ${path}: it has no run_started line`);
    if (!isResumable(trajectory))
      throw new Error(`cannot resume ${path}: the run already finished (${trajectory.result?.exit_status})`);
    const cancel = trajectory.result;
    if (trajectory.turns.at(-1)?.secrets_in_diff)
      throw new Error(
        `cannot resume ${path}: its work tree held a registered secret, so the log keeps that diff redacted and the work tree cannot be restored from it; start the task again`,
      );
    // Appending after a torn line would glue the next line onto it; cut the log back to its last whole line.
    const keptBytes = cancel ? read.bytesBeforeFinish : read.validBytes;
    if (read.schemaVersion < TRAJECTORY_SCHEMA_VERSION) await upgradeLogFile(path, read.schemaVersion, keptBytes);
    else await truncate(path, keptBytes);
    const handle = await open(path, 'a');
    const { size } = await handle.stat();
    const recorder = new TrajectoryRecorder(outDir, trajectory.run, path, redactorFor(options), handle, options, size);
    for (const turn of trajectory.turns) recorder.count(turn);
    recorder.conversationRedacted = [...trajectory.turns, ...trajectory.events].some(redactedConversation);
    await recorder.recordEvent('resumed', {
      turns_kept: trajectory.turns.length,
      torn_line_dropped: read.tornFinalLine,
      ...(cancel ? { cancelled: { at: cancel.ended_at, reason: cancel.error ?? null } } : {}),
    });
    // This process records the run now (and a kill before the first index update left it out of the index).
    await recorder.index(runIndexEntry(trajectory.run));
    return { recorder, trajectory };
  }

  get turnCount(): number {
    return this.signals.length;
  }

  /** The recorded turns' turns, tokens, cost and time so far, resumed turns included. */
  get turnTotals(): NonNullable<RunResult['totals']> {
    return { ...this.totals };
  }

  /** Each recorded turn's signals, resumed turns included, in turn order. */
  get turnSignals(): ReadonlyArray<Turn['signals']> {
    return this.signals;
  }

  /** Appends one finished turn and flushes it; returns the turn as recorded (redacted). */
  async recordTurn(input: TurnInput): Promise<Turn> {
    const turn: Turn = { ...input, index: input.index ?? this.turnCount };
    if (turn.index !== this.turnCount)
      throw new Error(`turn index ${turn.index} recorded where turn ${this.turnCount} was expected`);
    const recorded = await this.append({ type: 'turn', turn });
    this.count(turn);
    return (recorded as { turn: Turn }).turn;
  }

  /** Appends a run event (compaction, error, user feedback…) after the turns finished so far. */
  async recordEvent(kind: string, data?: Record<string, unknown>, at = new Date().toISOString()): Promise<void> {
    const event: RunEvent = { kind, at, after_turn: this.turnCount, ...(data ? { data } : {}) };
    await this.append({ type: 'event', event });
  }

  /**
   * Appends `run_finished`, updates the run index and closes the log; returns the result as recorded (redacted,
   * and marked `secrets_in_patch` when the patch held a registered secret).
   */
  async finish(input: FinishInput): Promise<RunResult> {
    const result: RunResult = {
      ...input,
      ended_at: input.ended_at ?? new Date().toISOString(),
      totals: input.totals ?? { ...this.totals },
    };
    const recorded = ((await this.append({ type: 'run_finished', result })) as { result: RunResult }).result;
    this.finished = true;
    await this.close();
    await this.index(runIndexEntry(this.run, recorded, this.turnCount));
    return recorded;
  }

  /** Closes the log without finishing the run (it stays resumable). */
  async close(): Promise<void> {
    await this.writes;
    await this.handle.close();
  }

  /** Sets the run's entry in the output folder's index, redacted. */
  private async index(entry: RunIndexEntry): Promise<void> {
    try {
      await updateRunIndex(this.outDir, this.redactor.redact(entry));
    } catch (error) {
      throw recordingFailure(this.run.run_id, join(this.outDir, RUN_INDEX_FILE), error);
    }
  }

  private count(turn: Turn): void {
    this.signals.push(turn.signals);
    this.totals.turns += 1;
    this.totals.tokens_in += turn.tokens?.input ?? 0;
    this.totals.tokens_out += turn.tokens?.output ?? 0;
    this.totals.cost_usd = addCost(this.totals.cost_usd, turn.cost_usd);
    this.totals.duration_ms += turn.durations_ms?.total ?? 0;
  }

  /**
   * A turn's prompt token ids spell its whole request, where redaction cannot reach: once redaction took text out
   * of the conversation, the ids of that request and every later one would still hold it, and would not be the ids
   * of the prompt as recorded. They are left out from then on.
   */
  private withoutStalePromptIds(event: TrajectoryEvent): TrajectoryEvent {
    const part = event.type === 'turn' ? event.turn : event.type === 'event' ? event.event : undefined;
    this.conversationRedacted ||= part !== undefined && redactedConversation(part);
    if (event.type !== 'turn' || !this.conversationRedacted || !event.turn.prompt_token_ids) return event;
    const turn = { ...event.turn };
    delete turn.prompt_token_ids;
    return { type: 'turn', turn };
  }

  /** Writes one line, redacted; resolves to the event as written once it is flushed. */
  private append(event: TrajectoryEvent): Promise<TrajectoryEvent> {
    if (this.finished)
      return Promise.reject(new Error(`run '${this.run.run_id}' already finished; nothing more can be recorded`));
    const redacted = this.withoutStalePromptIds(redactEvent(this.redactor, event));
    const invalid = checkTrajectoryEvent(redacted);
    if (invalid)
      return Promise.reject(
        new Error(`refusing to record an invalid ${event.type} line for run '${this.run.run_id}': ${invalid}`),
      );
    const bytes = Buffer.from(`${JSON.stringify(redacted)}\n`, 'utf8');
    // Chained so lines land in call order even when callers do not await each write.
    const write = this.writes.then(async () => {
      await this.options.beforeWrite?.();
      try {
        await this.handle.writeFile(bytes);
        if (this.options.fsync ?? true) await this.handle.sync();
      } catch (error) {
        // A line cut short (a full disk) is taken back, so that the log ends with its last whole line and a
        // line written later is not glued to it; should that fail too, the reader drops a torn final line.
        await this.handle.truncate(this.length).catch(() => undefined);
        throw recordingFailure(this.run.run_id, this.path, error);
      }
      this.length += bytes.length;
      await this.options.afterWrite?.(this.path);
    });
    this.writes = write.catch(() => undefined);
    return write.then(() => redacted);
  }
}

/**
 * Whether `part` of the log goes into later requests (a turn; a compaction, its note or summary) and redaction
 * took text out of it (text that held the marker already counts too: the safe side).
 */
function redactedConversation(part: Turn | RunEvent): boolean {
  return ('messages' in part || part.kind === 'compaction') && JSON.stringify(part).includes(REDACTED);
}

/** A log line with its secrets replaced; the code in it (a turn's diff, the patch) only ever loses exact secrets. */
function redactEvent(redactor: Redactor, event: TrajectoryEvent): TrajectoryEvent {
  if (event.type === 'turn') return { type: 'turn', turn: redactTurn(redactor, event.turn) };
  if (event.type === 'run_finished') return { type: 'run_finished', result: redactResult(redactor, event.result) };
  return redactor.redact(event);
}

/** Whether a run can go on from its log: it never finished (killed, or still running), or it was cancelled. */
export function isResumable(trajectory: Trajectory): boolean {
  return !trajectory.result || trajectory.result.exit_status === 'cancelled';
}

/**
 * Rewrites a log written under an older schema version in the current one (its whole lines only), so that lines
 * appended to it now do not mix two versions in one file.
 */
async function upgradeLogFile(path: string, version: number, keptBytes: number): Promise<void> {
  const lines: string[] = [];
  for await (const line of readLines(path)) {
    if (line.endOffset > keptBytes) break;
    lines.push(line.text.trim() === '' ? line.text : JSON.stringify(upgradeLine(JSON.parse(line.text), version)));
  }
  await writeFileAtomic(path, lines.map((line) => `${line}\n`).join(''));
}

/**
 * The output folder failing to take a run's record (a full disk, a lost mount): the machinery's failure, never
 * the agent's, named by the file or folder it was writing.
 */
function recordingFailure(runId: string, path: string, error: unknown): InfrastructureError {
  const cause = fileWriteError(path, error);
  return new InfrastructureError(
    `cannot record run '${runId}': ${cause.message}`,
    cause.code === 'ENOSPC' ? `free space there, then resume the run (rollout run … --resume ${runId})` : undefined,
  );
}

function redactorFor(options: RecorderOptions): Redactor {
  const redactor = options.redactor ?? new Redactor();
  for (const secret of options.secrets ?? []) redactor.register(secret);
  return redactor;
}

function assertSafeRunId(runId: string): void {
  if (!SAFE_RUN_ID.test(runId)) {
    throw new Error(
      `run id '${runId}' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'`,
    );
  }
}
