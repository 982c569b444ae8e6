/**
 * Hostile run files as an editor meets them: a 50 MB line, markup in the texts, invalid UTF-8, a 1 GB file.
 * The reader holds at most one bounded line and refuses what the editor cannot hold; the page gets bounded text.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readLines } from '../../../src/core/trajectory/lines';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import {
  PLAYBACK_LOG_LIMITS,
  PLAYBACK_TEXT_CHARS,
  toPlaybackTurn,
} from '../../../src/extension/playback/playbackModel';
import { sampleResult, sampleRun, sampleTurn } from './sampleTrajectory';

const MARKUP = `<script>document.title = "pwned"</script><img src=x onerror="alert(1)"></pre>&lt;`;

async function recordedLog(outputs: string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'rollout-hostile-'));
  const recorder = await TrajectoryRecorder.start(out, sampleRun('hostile'));
  for (const [index, output] of outputs.entries()) await recorder.recordTurn(sampleTurn(index, { output }));
  await recorder.finish(sampleResult(1));
  return recorder.path;
}

describe('hostile run files in playback', () => {
  test('a 50 MB line (its observation twice: message and record) is read under the playback limits, and reaches the page cut with a note', async () => {
    const huge = 'x'.repeat(25 * 1024 ** 2);
    // Put in after recording (the recorder's redaction would take its time over 50 MB).
    const log = await recordedLog(['small', 'HUGE-OUTPUT', 'after']);
    writeFileSync(log, readFileSync(log, 'utf8').replaceAll('HUGE-OUTPUT', huge));
    const lineBytes = readFileSync(log, 'utf8').split('\n')[2].length;
    assert.ok(
      lineBytes > 50 * 1024 ** 2 && lineBytes < PLAYBACK_LOG_LIMITS.maxLineBytes,
      `a line of ${lineBytes} bytes`,
    );
    const { trajectory, problems } = await readTrajectoryLog(log, PLAYBACK_LOG_LIMITS);
    assert.deepEqual(problems, []);
    assert.equal(trajectory!.turns.length, 3);
    const shown = toPlaybackTurn(trajectory!.turns[1], undefined).observations[0].output;
    assert.equal(shown.slice(0, PLAYBACK_TEXT_CHARS), huge.slice(0, PLAYBACK_TEXT_CHARS));
    assert.match(shown, /\n\[… 26,014,400 more characters not shown in playback\]$/);
    assert.equal(toPlaybackTurn(trajectory!.turns[2], undefined).observations[0].output, 'after');
  });

  test('a line over the line limit is skipped as a problem on its line, never held, and the rest is read', async () => {
    const log = await recordedLog(['small', 'y'.repeat(3 * 1024 ** 2), 'after']);
    const { trajectory, problems } = await readTrajectoryLog(log, { maxLineBytes: 1024 ** 2 });
    assert.equal(problems.length, 2, JSON.stringify(problems));
    assert.equal(problems[0].line, 3);
    assert.match(problems[0].message, /^a line of \d+ bytes, over the 1048576 read per line; skipped$/);
    assert.match(problems[1].message, /turn index 2 where turn 1 was expected/);
    assert.equal(trajectory!.turns.length, 1);
    assert.ok(trajectory!.result, 'the lines after it are read');
    // The reader keeps only the count of an over-long line: its text is never assembled.
    const lines = [];
    for await (const line of readLines(log, { maxLineBytes: 1024 ** 2, maxChunk: 64 * 1024 })) lines.push(line);
    assert.equal(lines[2].text, '');
    assert.ok(lines[2].tooLongBytes! > 3 * 1024 ** 2);
    assert.equal(lines.at(-1)!.endOffset, readFileSync(log).length);
  });

  test('an over-long final line without its newline is a torn line, as a cut write is', async () => {
    const log = await recordedLog(['small']);
    appendFileSync(log, 'z'.repeat(2 * 1024 ** 2));
    const read = await readTrajectoryLog(log, { maxLineBytes: 1024 ** 2 });
    assert.equal(read.tornFinalLine, true);
    assert.deepEqual(read.problems, []);
  });

  test('markup in messages and observations stays text, character for character', async () => {
    const log = await recordedLog([MARKUP]);
    const { trajectory } = await readTrajectoryLog(log, PLAYBACK_LOG_LIMITS);
    const turn = toPlaybackTurn(trajectory!.turns[0], undefined);
    assert.equal(turn.observations[0].output, MARKUP);
  });

  test('invalid UTF-8 inside a line is read with replacement characters, the line kept', async () => {
    const log = await recordedLog(['before']);
    // Every occurrence of the output's text becomes three bytes that are no UTF-8 (a lone lead byte among them).
    const parts = readFileSync(log, 'utf8')
      .split('before')
      .map((part) => Buffer.from(part));
    const invalid = Buffer.from([0xff, 0xfe, 0xc3]);
    writeFileSync(log, Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [invalid, part]))));
    const { trajectory, problems } = await readTrajectoryLog(log, PLAYBACK_LOG_LIMITS);
    assert.deepEqual(problems, []);
    assert.equal(trajectory!.turns[0].observations[0].output, '\ufffd\ufffd\ufffd');
  });

  test('a 1 GB file is refused before it is read, naming its size and the limit', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'rollout-hostile-')), 'trajectory.jsonl');
    // Sparse: 1 GB long, no disk taken.
    const handle = openSync(log, 'w');
    ftruncateSync(handle, 1024 ** 3);
    closeSync(handle);
    const before = process.memoryUsage().rss;
    await assert.rejects(
      readTrajectoryLog(log, PLAYBACK_LOG_LIMITS),
      new RegExp(`^Error: ${log} is 1024 MiB, over the 128 MiB this view reads`),
    );
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 ** 2);
  });
});
