/**
 * The Docker engine restarted in the middle of a batch: two attempts of one example task run on a private engine
 * (`--docker-host`, see PrivateEngine) that is stopped (SIGTERM, so it stops the containers) and started again once
 * the batch has recorded a random number of its turns (a moment drawn from wall time mostly fell before the first
 * container or after the last, on a loaded machine). Every run either finishes resolved as it would have, or ends `infra_error` with no
 * reward (never a 0), its log whole; the CLI exits non-zero when any did. The affected attempts are then retried
 * (`rollout run` again): they end resolved, and no container of the first process is left once the retry started.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutSummary } from '../../../src/core/agent/rollout';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import {
  BATCH_ATTEMPTS,
  containersOf,
  finished,
  rolloutCli,
  runDirs,
  startModelServer,
  sumOver,
  turnsRecorded,
} from '../support/exampleBatch';
import { PrivateEngine } from './privateEngine';

/** A private engine holding the example task's image. */
export async function engineWithImage(): Promise<PrivateEngine> {
  const engine = await PrivateEngine.start();
  try {
    await engine.load(imageForProfile('python'));
    return engine;
  } catch (error) {
    await engine.stop();
    throw error;
  }
}

/** What one restart did. */
export interface EngineRestartTry {
  /** Turns the batch had recorded when the engine was stopped. */
  restartedAfterTurns: number;
  /** Rollouts that ended `infra_error` (recorded or not), all retried. */
  affected: number;
  /** Rollouts given a reward other than a resolved 1 (a restart scored as the agent's failure). */
  scored: number;
  /** Rollouts whose retry did not end resolved, or logs that did not read whole. */
  runsLost: number;
  /** Containers of the batch's process left once the retry had started. */
  orphans: number;
  faults: string[];
}

/** Resolves once the batch's logs hold `turns` turn lines, or it exited. */
async function turnsReached(outDir: string, turns: number, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!done && turnsRecorded(outDir) < turns) await sleep(50);
}

/** One try: the engine restarted once the batch recorded `afterTurns` turns, then the affected attempts retried. */
export async function restartDuringBatch(engine: PrivateEngine, afterTurns: number): Promise<EngineRestartTry> {
  const server = await startModelServer();
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-engine-'));
  const outcome: EngineRestartTry = {
    restartedAfterTurns: afterTurns,
    affected: 0,
    scored: 0,
    runsLost: 0,
    orphans: 0,
    faults: [],
  };
  const fault = (message: string) => outcome.faults.push(message);
  try {
    const child = rolloutCli(server.baseURL, outDir, BATCH_ATTEMPTS, ['--docker-host', engine.host]);
    const exited = finished(child);
    await turnsReached(outDir, afterTurns, exited);
    await engine.restart();
    const { status, output } = await exited;

    const summaries = (JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { rollouts: RolloutSummary[] })
      .rollouts;
    for (const summary of summaries) {
      if (summary.exitStatus === 'infra_error' && summary.reward === null) outcome.affected++;
      else if (summary.exitStatus !== 'submitted' || summary.reward !== 1) {
        outcome.scored++;
        fault(`attempt ${summary.attempt}: ${summary.exitStatus}, reward ${summary.reward}: ${summary.reason ?? ''}`);
      }
    }
    if ((status !== 0) !== outcome.affected > 0)
      fault(`the CLI exited ${status} with ${outcome.affected} infra_error(s):\n${output.slice(-1500)}`);
    for (const runId of runDirs(outDir)) {
      const read = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
      const result = read.trajectory?.result;
      if (read.problems.length || read.tornFinalLine || !result) {
        fault(`${runId}: ${result ? 'finished' : 'unfinished'}, ${read.problems.length} problem(s)`);
        outcome.runsLost++;
      } else if (result.exit_status === 'infra_error' && result.reward !== null) {
        fault(`${runId}: infra_error with a reward`);
        outcome.scored++;
      }
    }

    // The user's retry: the affected attempts again; its start reaps what the batch's process left.
    if (outcome.affected) {
      const retry = await finished(
        rolloutCli(server.baseURL, outDir, outcome.affected, ['--docker-host', engine.host]),
      );
      const after = (JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { rollouts: RolloutSummary[] })
        .rollouts;
      const unresolved = after.filter((summary) => summary.reward !== 1);
      if (retry.status !== 0 || unresolved.length) {
        fault(`the retry exited ${retry.status}, ${unresolved.length} unresolved:\n${retry.output.slice(-1500)}`);
        outcome.runsLost += unresolved.length || 1;
      }
    }
    outcome.orphans = await containersOf(child.pid as number, engine.host);
    if (outcome.orphans) fault(`${outcome.orphans} container(s) of the batch's process left`);
    return outcome;
  } finally {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

export interface EngineRestartFigures {
  fault: 'engine_restart';
  tries: number;
  affected: number;
  scored: number;
  runs_lost: number;
  orphans: number;
}

export function engineRestartFigures(tries: EngineRestartTry[]): EngineRestartFigures {
  const sum = (pick: (one: EngineRestartTry) => number) => sumOver(tries, pick);
  return {
    fault: 'engine_restart',
    tries: tries.length,
    affected: sum((one) => one.affected),
    scored: sum((one) => one.scored),
    runs_lost: sum((one) => one.runsLost),
    orphans: sum((one) => one.orphans),
  };
}
