/**
 * Two `rollout` processes recording runs into one output folder at once (real processes, real recorders): the
 * run index must end with every run of both, once, each line whole; a running run names the process recording
 * it, so another process tells a live run (its owner alive) from one a kill left behind (its owner gone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrajectoryLog, TRAJECTORY_FILE } from '../../../src/core/trajectory/reader';
import { isRecordedByLiveProcess, readRunIndex, RUN_INDEX_FILE } from '../../../src/core/trajectory/runIndex';

// Bundled into out/test/faults/*.js and out/bench/faults/index.js: three folders below the root either way.
const CHILD = join(__dirname, '..', '..', '..', 'out', 'test', 'faults', 'sharedFolder', 'recordRuns.child.js');
const WRITERS = ['left', 'right'];

export interface SharedFolderFigures {
  fault: 'two_writers';
  runs: number;
  /** Runs whose index line is missing, repeated or in the wrong state, or whose log does not read whole. */
  runs_lost: number;
  /** Index lines that do not parse (interleaved or torn). */
  lines_damaged: number;
  /** Running runs whose recording process was judged wrongly (a live one stale, a killed one live). */
  owners_misjudged: number;
  faults: string[];
}

function startWriter(outDir: string, name: string, runs: number): { child: ChildProcess; holding: Promise<void> } {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ROLLOUT_FAULT_OUT: outDir, ROLLOUT_FAULT_NAME: name, ROLLOUT_FAULT_RUNS: String(runs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const holding = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve());
    child.once('exit', (code) => reject(new Error(`writer ${name} exited ${code}: ${errors}`)));
  });
  return { child, holding };
}

/** Two writers, `runsEach` finished runs each and one left running; one is then killed. */
export async function twoWriters(runsEach: number): Promise<SharedFolderFigures> {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-fault-shared-'));
  const writers = WRITERS.map((name) => ({ name, ...startWriter(outDir, name, runsEach) }));
  const figures: SharedFolderFigures = {
    fault: 'two_writers',
    runs: WRITERS.length * (runsEach + 1),
    runs_lost: 0,
    lines_damaged: 0,
    owners_misjudged: 0,
    faults: [],
  };
  try {
    await Promise.all(writers.map((writer) => writer.holding));
    const lines = readFileSync(join(outDir, RUN_INDEX_FILE), 'utf8').split('\n');
    if (lines.pop() !== '') figures.faults.push('the index does not end with a whole line');
    for (const [at, line] of lines.entries())
      try {
        JSON.parse(line);
      } catch {
        figures.lines_damaged++;
        figures.faults.push(`index line ${at + 1} does not parse: ${line.slice(0, 120)}`);
      }
    const index = await readRunIndex(outDir);
    if (lines.length !== index.length) figures.faults.push(`${lines.length} index lines for ${index.length} runs`);
    for (const name of WRITERS)
      for (const suffix of [...Array.from({ length: runsEach }, (_, n) => String(n)), 'held']) {
        const runId = `${name}-${suffix}`;
        const entries = index.filter((entry) => entry.run_id === runId);
        const expected = suffix === 'held' ? 'running' : 'submitted';
        const log = await readTrajectoryLog(join(outDir, runId, TRAJECTORY_FILE));
        if (entries.length !== 1 || entries[0].status !== expected || log.problems.length || !log.trajectory) {
          figures.runs_lost++;
          figures.faults.push(`${runId}: ${entries.length} index entries, status ${entries[0]?.status}`);
        }
      }
    // Both held runs are live; after one writer is killed, its run is left behind and the other's is still live.
    const judge = async (name: string) =>
      isRecordedByLiveProcess((await readRunIndex(outDir)).find((entry) => entry.run_id === `${name}-held`)!);
    for (const name of WRITERS)
      if ((await judge(name)) !== true) {
        figures.owners_misjudged++;
        figures.faults.push(`${name}-held: its writer is alive, but the run was not judged recorded`);
      }
    const [killed, alive] = writers;
    killed.child.kill('SIGKILL');
    await new Promise((resolve) =>
      killed.child.exitCode !== null ? resolve(null) : killed.child.once('exit', resolve),
    );
    if ((await judge(killed.name)) !== false) {
      figures.owners_misjudged++;
      figures.faults.push(`${killed.name}-held: its writer was killed, but the run was judged recorded`);
    }
    if ((await judge(alive.name)) !== true) {
      figures.owners_misjudged++;
      figures.faults.push(`${alive.name}-held: its writer is alive, but the run was judged left behind`);
    }
    return figures;
  } finally {
    for (const writer of writers) writer.child.kill('SIGKILL');
    rmSync(outDir, { recursive: true, force: true });
  }
}
