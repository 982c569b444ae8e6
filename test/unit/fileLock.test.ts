/**
 * Lock files left by processes on this machine: a lock whose pid now names another process (pids are reused; a
 * restarted worker in its own container is PID 1 again) is its dead owner's, broken at once; a live owner's lock
 * is waited for.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withFileLock } from '../../src/core/fileLock';
import { processStart } from '../../src/core/processOwner';

/** Whether `action` under the lock of `file` ran within `ms`. */
async function ranWithin(file: string, ms: number): Promise<{ ran: boolean; done: Promise<unknown> }> {
  let ran = false;
  const done = withFileLock(file, async () => {
    ran = true;
  });
  await Promise.race([done, sleep(ms)]);
  return { ran, done };
}

describe('file locks', () => {
  test("a lock naming this process's pid with another start is a dead owner's: broken at once, not after a minute", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lock-')), 'index.jsonl');
    writeFileSync(`${file}.lock`, `${hostname()} ${process.pid} 0123456789ab start=12@an-earlier-boot`);
    const { ran } = await ranWithin(file, 10_000);
    assert.ok(ran, 'the reused pid does not keep the dead owner holding the lock');
    assert.ok(!existsSync(`${file}.lock`));
  });

  test("a live owner's lock, with or without its start recorded, is waited for", async () => {
    const start = processStart(process.pid);
    assert.ok(start, 'Linux /proc gives the start');
    for (const owner of [`0123456789ab start=${start}`, '0123456789ab']) {
      const file = join(mkdtempSync(join(tmpdir(), 'lock-')), 'index.jsonl');
      writeFileSync(`${file}.lock`, `${hostname()} ${process.pid} ${owner}`);
      const { ran, done } = await ranWithin(file, 1000);
      assert.equal(ran, false, `held by ${owner}`);
      unlinkSync(`${file}.lock`);
      await done;
    }
  });
});
