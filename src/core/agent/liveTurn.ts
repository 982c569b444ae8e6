/**
 * The turn in progress, for a live view: what the model has written so far (text, reasoning, tool calls) and
 * the output of the tool calls running now. It lives in a sidecar file beside the run's log, `live-turn.json`,
 * replaced whole on each write (write, then rename) and removed when the turn is recorded, so the append-only
 * `trajectory.jsonl` is never touched by it. A reader shows it only while its `turn` is the next turn the log
 * will record; a stale file (a killed run) is therefore never mistaken for a finished turn.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplyDelta } from './policies/policy';

export const LIVE_TURN_FILE = 'live-turn.json';

export interface LiveToolCall {
  id?: string;
  name: string;
  arguments: string;
}

export interface LiveToolOutput {
  tool_call_id?: string;
  tool: string;
  /** The tail of the output so far. */
  output: string;
}

export interface LiveTurn {
  /** The index the turn will have once recorded. */
  turn: number;
  /** Waiting for or reading the model's reply, or running its tool calls. */
  phase: 'model' | 'tools';
  started_at: string;
  updated_at: string;
  content: string;
  reasoning: string;
  tool_calls: LiveToolCall[];
  outputs: LiveToolOutput[];
}

/** Sidecar writes are batched: at most one every this many ms, so streaming costs the loop nothing it waits for. */
const WRITE_INTERVAL_MS = 100;
/** A long-running command's live output keeps only its tail. */
const OUTPUT_TAIL_CHARS = 16_000;

/** Receives the turn in progress as it grows; the loop owns one per run. */
export class LiveTurnWriter {
  private current?: LiveTurn;
  private timer?: NodeJS.Timeout;
  private writes: Promise<void> = Promise.resolve();
  private written = false;

  constructor(private readonly runDir: string) {}

  get path(): string {
    return join(this.runDir, LIVE_TURN_FILE);
  }

  begin(turn: number): void {
    const now = new Date().toISOString();
    this.current = {
      turn,
      phase: 'model',
      started_at: now,
      updated_at: now,
      content: '',
      reasoning: '',
      tool_calls: [],
      outputs: [],
    };
  }

  /** A piece of the model's reply. */
  delta(delta: ReplyDelta): void {
    const live = this.current;
    if (!live) return;
    if (delta.kind === 'restart') Object.assign(live, { content: '', reasoning: '', tool_calls: [] });
    else if (delta.kind === 'content') live.content += delta.text;
    else if (delta.kind === 'reasoning') live.reasoning += delta.text;
    else if (delta.kind === 'tool_call') {
      const call = (live.tool_calls[delta.index] ??= { name: '', arguments: '' });
      if (delta.id) call.id = delta.id;
      if (delta.name) call.name += delta.name;
      if (delta.arguments) call.arguments += delta.arguments;
    }
    this.schedule();
  }

  /** The model's reply is complete; its tool calls start running. */
  toolsStarted(calls: LiveToolCall[]): void {
    if (!this.current) return;
    this.current.phase = 'tools';
    this.current.tool_calls = calls.map((call) => ({ ...call }));
    this.schedule();
  }

  /** Output of a running call as it arrives. */
  toolOutput(call: { id?: string; name: string }, text: string): void {
    const live = this.current;
    if (!live) return;
    let entry = live.outputs.find((output) => output.tool_call_id === call.id && output.tool === call.name);
    if (!entry) live.outputs.push((entry = { tool_call_id: call.id, tool: call.name, output: '' }));
    entry.output = (entry.output + text).slice(-OUTPUT_TAIL_CHARS);
    this.schedule();
  }

  /** The turn is recorded: the sidecar goes. */
  async end(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current = undefined;
    await this.writes;
    if (this.written) {
      this.written = false;
      await unlink(this.path).catch(() => undefined);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, WRITE_INTERVAL_MS);
    this.timer.unref();
  }

  private flush(): void {
    const live = this.current;
    if (!live) return;
    live.updated_at = new Date().toISOString();
    const text = JSON.stringify(live);
    const temporary = `${this.path}.${process.pid}.tmp`;
    this.written = true;
    // A failed write only costs the live view; the run goes on.
    this.writes = this.writes
      .then(() => writeFile(temporary, text))
      .then(() => rename(temporary, this.path))
      .catch(() => undefined);
  }
}

/**
 * The turn in progress in a run's folder, if there is one and it is the turn after `recordedTurns` (the
 * turns the log holds now); otherwise undefined.
 */
export async function readLiveTurn(runDir: string, recordedTurns: number): Promise<LiveTurn | undefined> {
  const text = await readFile(join(runDir, LIVE_TURN_FILE), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const live = JSON.parse(text) as LiveTurn;
    return live.turn === recordedTurns ? live : undefined;
  } catch {
    return undefined;
  }
}
