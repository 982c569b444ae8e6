import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { checkTrajectoryEvent } from '../../../src/core/trajectory/schema';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { TRAJECTORY_SCHEMA_VERSION } from '../../../src/core/trajectory/types';
import { sampleResult, sampleTurn } from './sampleTrajectory';

const V1 = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'trajectories', 'schema-v1');

describe('trajectory schema versions', () => {
  test('a version 1 log (written by the 0.1 recorder) reads as the current version: rewards become signals', async () => {
    const read = await readTrajectoryLog(join(V1, 'v1-finished', 'trajectory.jsonl'));
    assert.deepEqual(read.problems, []);
    assert.equal(read.schemaVersion, 1);
    const turns = read.trajectory?.turns ?? [];
    assert.deepEqual(
      turns.map((turn) => turn.signals),
      [
        { format_errors: 0, tool_errors: 1, diff_changed: 0 },
        { format_errors: 0, tool_errors: 0, diff_changed: 1 },
      ],
    );
    assert.ok(turns.every((turn) => !('rewards' in turn)));
    assert.equal(read.trajectory?.result?.reward?.value, 1);
    assert.equal(read.trajectory?.events[0].kind, 'compaction');
  });

  test('resuming a version 1 run rewrites its log in the current version before appending', async () => {
    const out = mkdtempSync(join(tmpdir(), 'traj-v1-'));
    cpSync(join(V1, 'v1-unfinished'), join(out, 'v1-unfinished'), { recursive: true });
    const file = join(out, 'v1-unfinished', 'trajectory.jsonl');
    // A writer killed mid-line: the torn line goes, as for a current log.
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"type":"turn","turn":{"index":2,"mess`);
    const { recorder, trajectory } = await TrajectoryRecorder.resume(out, 'v1-unfinished');
    assert.deepEqual(recorder.turnSignals, [
      { format_errors: 1, tool_errors: 0, diff_changed: 0 },
      { format_errors: 0, tool_errors: 0, diff_changed: 1 },
    ]);
    assert.equal(trajectory.turns.length, 2);
    await recorder.recordTurn(sampleTurn(2));
    await recorder.finish(sampleResult(1));
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines[0].schema_version, TRAJECTORY_SCHEMA_VERSION);
    assert.ok(!readFileSync(file, 'utf8').includes('"rewards"'), 'no line of the old shape is left');
    const read = await readTrajectoryLog(file);
    assert.deepEqual(read.problems, []);
    assert.equal(read.schemaVersion, TRAJECTORY_SCHEMA_VERSION);
    assert.equal(read.trajectory?.turns.length, 3);
    assert.deepEqual(read.trajectory?.turns[1].signals, { format_errors: 0, tool_errors: 0, diff_changed: 1 });
  });

  test('resuming a cancelled version 1 run drops its run_finished line and rewrites the rest in the current version', async () => {
    const out = mkdtempSync(join(tmpdir(), 'traj-v1-'));
    cpSync(join(V1, 'v1-finished'), join(out, 'v1-cancelled'), { recursive: true });
    const file = join(out, 'v1-cancelled', 'trajectory.jsonl');
    const cancelled = readFileSync(file, 'utf8')
      .replace('"run_id":"v1-finished"', '"run_id":"v1-cancelled"')
      .replace('"exit_status":"submitted"', '"exit_status":"cancelled"');
    writeFileSync(file, cancelled);
    const { recorder, trajectory } = await TrajectoryRecorder.resume(out, 'v1-cancelled');
    assert.equal(trajectory.turns.length, 2);
    await recorder.recordTurn(sampleTurn(2));
    await recorder.finish(sampleResult(1));
    const read = await readTrajectoryLog(file);
    assert.deepEqual(read.problems, [], 'one run_finished line, the last');
    assert.equal(read.schemaVersion, TRAJECTORY_SCHEMA_VERSION);
    assert.deepEqual(
      read.trajectory?.turns.map((turn) => turn.index),
      [0, 1, 2],
    );
    assert.equal(read.trajectory?.result?.exit_status, 'submitted');
    assert.ok(read.trajectory?.events.some((event) => event.kind === 'resumed' && event.data?.cancelled));
  });

  test('a log from a newer version, or with no usable version, is reported by line and field', async () => {
    const out = mkdtempSync(join(tmpdir(), 'traj-v9-'));
    const original = readFileSync(join(V1, 'v1-finished', 'trajectory.jsonl'), 'utf8');
    for (const [version, message] of [
      [
        TRAJECTORY_SCHEMA_VERSION + 1,
        /\/schema_version: 4 is not readable \(this reader knows 1 to 3; a newer Rollout Studio wrote this log\)/,
      ],
      ['"2"', /\/schema_version: "2" is not readable \(this reader knows 1 to 3\)/],
    ] as const) {
      const file = join(out, `v${String(version).replace(/"/g, '')}.jsonl`);
      writeFileSync(file, original.replace('"schema_version":1', `"schema_version":${version}`));
      const read = await readTrajectoryLog(file);
      assert.equal(read.trajectory, null);
      assert.equal(read.problems[0].line, 1);
      assert.match(read.problems[0].message, message);
    }
  });
});

test('a line whose type names a built-in object method is a problem on its line, not a crash (found by fuzzing)', () => {
  for (const type of ['valueOf', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])
    assert.match(checkTrajectoryEvent({ type }) ?? '', /^\/type: must be one of /, type);
});
