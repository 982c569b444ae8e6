/**
 * The `rollout` CLI SIGKILLed at a random moment of a small batch (two attempts of one example task at once, real Docker,
 * the OpenAI wire-protocol test double answering by the conversation's length, so a resumed run gets the same
 * answers). After each kill: every complete line of every log parses and the reader keeps every finished turn;
 * every unfinished run resumes (`--resume`) to the end with the turns it had, none repeated, and the run index
 * ends with every run finished; no container of the
 * killed process is left once the next process has started. The moment is a fraction of an uninterrupted batch's
 * duration, measured first in the same run, drawn from a seeded fast-check sample.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { reapOrphans } from '../../../src/core/sandbox/reaper';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import { readRunIndex, RUN_INDEX_FILE } from '../../../src/core/trajectory/runIndex';
import {
  ANSWERS,
  BATCH_ATTEMPTS,
  completeLines,
  containersOf,
  finished,
  rolloutCli,
  runDirs,
  startModelServer,
  sumOver,
} from '../support/exampleBatch';

/** What one kill did and what survived it. */
export interface KillTry {
  /** Milliseconds after the start at which the CLI was killed. */
  killedAtMs: number;
  /** Runs that had started (a readable first line) when it was killed. */
  runsStarted: number;
  /** Runs that were unfinished and were resumed. */
  runsResumed: number;
  /** Turns recorded (complete lines) before the kill. */
  turnsBeforeKill: number;
  /** Finished turns that the reader lost, a resume dropped or repeated, or that ended in another state. */
  turnsLost: number;
  /** Runs that did not end resolved after the resume (or whose log did not read whole). */
  runsLost: number;
  /** Containers of the killed process left after the next process started. */
  orphans: number;
  /** What went wrong, for the failure message. */
  faults: string[];
}

/** The wall time of one uninterrupted batch, the span the kill moments are drawn from. */
export async function uninterruptedBatchMs(): Promise<number> {
  const server = await startModelServer();
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-kill-'));
  try {
    const started = performance.now();
    const { status, output } = await finished(rolloutCli(server.baseURL, outDir, BATCH_ATTEMPTS));
    if (status !== 0) throw new Error(`the uninterrupted batch failed (exit ${status}):\n${output}`);
    return performance.now() - started;
  } finally {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** One try: the batch killed `killAtMs` after its start, then every run checked and resumed. */
export async function killAndResume(killAtMs: number): Promise<KillTry> {
  const server = await startModelServer();
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-kill-'));
  const outcome: KillTry = {
    killedAtMs: Math.round(killAtMs),
    runsStarted: 0,
    runsResumed: 0,
    turnsBeforeKill: 0,
    turnsLost: 0,
    runsLost: 0,
    orphans: 0,
    faults: [],
  };
  const fault = (message: string) => outcome.faults.push(message);
  try {
    const child = rolloutCli(server.baseURL, outDir, BATCH_ATTEMPTS);
    const exited = finished(child);
    await Promise.race([sleep(killAtMs), exited]);
    child.kill('SIGKILL');
    await exited;
    const killedPid = child.pid as number;

    // What the kill left: every complete line parses; the reader keeps each finished turn.
    const before = new Map<string, string[]>();
    for (const runId of runDirs(outDir)) {
      const path = join(outDir, runId, TRAJECTORY_FILE);
      const lines = completeLines(path);
      if (lines.unparsable) fault(`${runId}: ${lines.unparsable} complete line(s) do not parse`);
      const turnLines = lines.events.filter((event) => event.type === 'turn').length;
      outcome.turnsBeforeKill += turnLines;
      const read = await readTrajectoryLog(path);
      if (!read.trajectory) {
        // Killed before its first line was whole: a run that never started, nothing recorded to lose.
        if (turnLines) fault(`${runId}: turns recorded but no readable run_started line`);
        continue;
      }
      outcome.runsStarted++;
      if (read.problems.length) fault(`${runId}: ${read.problems.map((p) => `${p.line}: ${p.message}`).join('; ')}`);
      const turns = read.trajectory.turns.map((turn) => JSON.stringify(turn.messages));
      if (turns.length !== turnLines) {
        fault(`${runId}: ${turnLines} turn lines, ${turns.length} read`);
        outcome.turnsLost += Math.max(0, turnLines - turns.length);
      }
      if (!read.trajectory.result) before.set(runId, turns);
    }
    const indexPath = join(outDir, RUN_INDEX_FILE);
    if (readdirSync(outDir).includes(RUN_INDEX_FILE) && completeLines(indexPath).unparsable)
      fault('the run index has a line that does not parse');

    // The next start: each unfinished run resumed to the end; without one, the reaper it would run.
    for (const runId of before.keys()) {
      const { status, output } = await finished(
        rolloutCli(server.baseURL, outDir, BATCH_ATTEMPTS, ['--resume', runId]),
      );
      outcome.runsResumed++;
      if (status !== 0) fault(`${runId}: --resume exited ${status}: ${output.slice(-400)}`);
    }
    if (!before.size) await reapOrphans(dockerClient());
    outcome.orphans = await containersOf(killedPid);

    const indexed = new Map((await readRunIndex(outDir)).map((entry) => [entry.run_id, entry.status]));
    for (const runId of runDirs(outDir)) {
      const read = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
      if (!read.trajectory) continue;
      if (indexed.get(runId) !== 'submitted') fault(`${runId}: the run index says ${indexed.get(runId) ?? 'nothing'}`);
      const turns = read.trajectory.turns.map((turn) => JSON.stringify(turn.messages));
      const kept = before.get(runId) ?? turns;
      const keptAll = kept.every((turn, index) => turns[index] === turn);
      const result = read.trajectory.result;
      if (!keptAll || turns.length !== ANSWERS.length) {
        fault(`${runId}: ${turns.length} turns after the resume, ${kept.length} kept before it, in order: ${keptAll}`);
        outcome.turnsLost += keptAll ? 0 : kept.length;
      }
      if (
        read.problems.length ||
        read.tornFinalLine ||
        result?.exit_status !== 'submitted' ||
        !result.reward?.resolved
      ) {
        fault(`${runId}: ended ${result?.exit_status ?? 'unfinished'}, resolved ${result?.reward?.resolved}`);
        outcome.runsLost++;
      }
    }
    return outcome;
  } finally {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

export interface KillFigures {
  fault: 'cli_sigkill';
  tries: number;
  batch_ms: number;
  runs_started: number;
  runs_resumed: number;
  turns_before_kill: number;
  turns_lost: number;
  runs_lost: number;
  orphans: number;
}

export function killFigures(tries: KillTry[], batchMs: number): KillFigures {
  const sum = (pick: (one: KillTry) => number) => sumOver(tries, pick);
  return {
    fault: 'cli_sigkill',
    tries: tries.length,
    batch_ms: Math.round(batchMs),
    runs_started: sum((one) => one.runsStarted),
    runs_resumed: sum((one) => one.runsResumed),
    turns_before_kill: sum((one) => one.turnsBeforeKill),
    turns_lost: sum((one) => one.turnsLost),
    runs_lost: sum((one) => one.runsLost),
    orphans: sum((one) => one.orphans),
  };
}
