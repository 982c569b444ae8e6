import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { processStart } from '../../../src/core/processOwner';
import {
  isRecordedByLiveProcess,
  readRunIndex,
  removeFromRunIndex,
  RUN_INDEX_FILE,
  runIndexEntry,
  updateRunIndex,
  type RunIndexEntry,
} from '../../../src/core/trajectory/runIndex';

import { sampleRun } from './sampleTrajectory';

const CHILD_OUT = process.env.ROLLOUT_TEST_INDEX_CHILD_OUT;
const CHILD_NAME = process.env.ROLLOUT_TEST_INDEX_CHILD_NAME ?? 'writer';

/** An entry as big as real ones get (a long policy spec), so that each rewrite takes a while to write. */
function entry(runId: string, status: RunIndexEntry['status'] = 'running'): RunIndexEntry {
  return {
    run_id: runId,
    task_id: `task-${runId}`,
    attempt: 0,
    policy: `openai:model@http://127.0.0.1:8000/v1#${'p'.repeat(400)}`,
    path: `${runId}/trajectory.jsonl`,
    status,
    started_at: '2026-12-01T00:00:00.000Z',
  };
}

/** Where a writer process stops to be killed: nowhere in particular, half way through a write, or before its rename. */
type KillPoint = 'anywhere' | 'mid-write' | 'before-rename';

/**
 * Makes the writer stop at a kill point on its `stopAt`th index write: file writes in this process are only
 * the index's, so the file handle's own methods mark the points.
 */
async function armKillPoint(point: KillPoint, stopAt: number): Promise<void> {
  if (point === 'anywhere') return;
  const probe = await open(join(CHILD_OUT!, '.probe'), 'w');
  const handle = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  let writes = 0;
  const hang = async (where: string) => {
    process.stdout.write(`${where}\n`);
    await new Promise(() => undefined);
  };
  const { writeFile, sync } = handle;
  handle.writeFile = async function (this: FileHandle, data: string | Uint8Array) {
    writes += 1;
    if (point !== 'mid-write' || writes <= stopAt) return writeFile.call(this, data);
    await writeFile.call(this, data.slice(0, Math.floor(data.length / 2)));
    await sync.call(this);
    return hang('stopped mid-write');
  } as FileHandle['writeFile'];
  handle.sync = async function (this: FileHandle) {
    await sync.call(this);
    if (point === 'before-rename' && writes > stopAt) await hang('stopped before rename');
  };
}

// When spawned by the crash test, this file is a writer: it updates the index until it is killed.
if (CHILD_OUT) {
  void (async () => {
    await armKillPoint((process.env.ROLLOUT_TEST_INDEX_KILL_POINT ?? 'anywhere') as KillPoint, 2);
    for (let n = 0; ; n += 1) {
      await updateRunIndex(CHILD_OUT, entry(`${CHILD_NAME}-${n}`));
      process.stdout.write(`wrote ${n}\n`);
    }
  })();
} else {
  describe('run index', () => {
    test('one line per run, its latest state; parallel writers in one process lose nothing', async () => {
      const out = mkdtempSync(join(tmpdir(), 'index-'));
      await Promise.all(Array.from({ length: 40 }, (_, i) => updateRunIndex(out, entry(`r${i}`))));
      await Promise.all(Array.from({ length: 40 }, (_, i) => updateRunIndex(out, entry(`r${i}`, 'submitted'))));
      const index = await readRunIndex(out);
      assert.equal(index.length, 40);
      assert.ok(index.every((item) => item.status === 'submitted'));
      assert.equal(readFileSync(join(out, RUN_INDEX_FILE), 'utf8').trim().split('\n').length, 40);
    });

    test("a running run's entry names its process with its start: once the pid names another process, the run is not live", () => {
      const running = runIndexEntry(sampleRun('held'));
      assert.equal(running.owner?.start, processStart(process.pid));
      assert.equal(isRecordedByLiveProcess(running), true);
      const reused = { ...running, owner: { ...running.owner!, start: '12@an-earlier-boot' } };
      assert.equal(isRecordedByLiveProcess(reused), false);
    });

    test('a deleted run leaves the index; the others stay as they were', async () => {
      const out = mkdtempSync(join(tmpdir(), 'index-'));
      for (const id of ['a', 'b', 'c']) await updateRunIndex(out, entry(id, 'submitted'));
      await removeFromRunIndex(out, 'b');
      await removeFromRunIndex(out, 'not-there');
      assert.deepEqual(
        (await readRunIndex(out)).map((item) => item.run_id),
        ['a', 'c'],
      );
    });

    test('writer processes SIGKILLed mid-write leave an index that reads back whole, and the next writer goes on', async () => {
      const out = mkdtempSync(join(tmpdir(), 'index-kill-'));
      // A big index, so that a kill lands inside a rewrite rather than between two.
      const seed = Array.from({ length: 2000 }, (_, i) => `${JSON.stringify(entry(`seed-${i}`))}\n`).join('');
      writeFileSync(join(out, RUN_INDEX_FILE), seed);
      let before = 2000;
      const rounds: [KillPoint, number][] = [
        ['mid-write', 2],
        ['before-rename', 2],
        ['anywhere', 3],
        ['mid-write', 2],
        ['anywhere', 1],
      ];
      for (const [round, [point, killAfter]] of rounds.entries()) {
        const reported = await runWriterUntilKilled(out, `w${round}`, point, killAfter);
        const index = await readRunIndex(out);
        // Every write the writer reported is there; the one it was killed in is there whole or not at all.
        const ids = new Set(index.map((item) => item.run_id));
        assert.ok(index.length >= before + reported + 1, `${index.length} entries after ${reported + 1} writes`);
        for (let n = 0; n <= reported; n += 1) assert.ok(ids.has(`w${round}-${n}`), `w${round}-${n} is missing`);
        before = index.length;
        const lines = readFileSync(join(out, RUN_INDEX_FILE), 'utf8').split('\n');
        assert.equal(lines.pop(), '', 'the file ends with a whole line');
        for (const line of lines) assert.doesNotThrow(() => JSON.parse(line));
      }
      // The dead writer's lock does not block the next one.
      await updateRunIndex(out, entry('after-the-crashes', 'submitted'));
      assert.equal((await readRunIndex(out)).at(-1)?.run_id, 'after-the-crashes');
      assert.ok(!existsSync(join(out, `${RUN_INDEX_FILE}.lock`)));
      assert.deepEqual(
        readdirSync(out).filter((name) => name.endsWith('.tmp')).length <= 1,
        true,
        'at most one leftover temporary file, which the next write reuses',
      );
    });
  });
}

/**
 * Starts a writer process and SIGKILLs it when it stops at its kill point (or, for `anywhere`, right after it
 * reports its `killAfter`th write); returns the number of the last write it reported.
 */
async function runWriterUntilKilled(out: string, name: string, point: KillPoint, killAfter: number): Promise<number> {
  const child = spawn(process.execPath, [__filename], {
    env: {
      ...process.env,
      ROLLOUT_TEST_INDEX_CHILD_OUT: out,
      ROLLOUT_TEST_INDEX_CHILD_NAME: name,
      ROLLOUT_TEST_INDEX_KILL_POINT: point,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let reported = -1;
  let stopped = false;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const match of text.matchAll(/wrote (\d+)/g)) reported = Math.max(reported, Number(match[1]));
      stopped ||= /^stopped /m.test(text);
      if (stopped || (point === 'anywhere' && reported >= killAfter)) child.kill('SIGKILL');
    });
  });
  if (point !== 'anywhere') {
    assert.ok(stopped, `the writer never reached its kill point (${point})`);
    assert.equal(reported, killAfter - 1, 'killed inside the write after the ones it reported');
  }
  assert.equal(child.signalCode, 'SIGKILL');
  return reported;
}
